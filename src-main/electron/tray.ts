// The tray / menu-bar icon: every stack with Start/Stop, Open and Quit. Stacks keep running when the window closes.
import path from 'node:path'
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron'
import type { EngineApi, StackView } from '../contract.js'
import { resourcesDir } from '../core/paths.js'

const STATE_MARK: Record<string, string> = { running: '●', starting: '◐', stopping: '◐', failed: '✕', stopped: '○' }

export function createTray(engine: EngineApi, actions: { open: () => void; quit: () => void }): () => void {
  const tray = new Tray(nativeImage.createFromPath(path.join(resourcesDir(), 'icons', 'tray.png')))
  tray.setToolTip('Aerie')
  tray.on('click', actions.open)

  const render = (views: StackView[]) => {
    const stackItems: MenuItemConstructorOptions[] = views.map((v) => {
      const active = v.state === 'running' || v.state === 'starting'
      return {
        label: `${STATE_MARK[v.state] ?? '○'}  ${v.stack.name}`,
        submenu: [
          { label: active ? 'Stop' : 'Start', click: () => void engine.invoke(active ? 'stack:stop' : 'stack:start', { id: v.stack.id }).catch(() => undefined) },
          ...v.urls.slice(0, 1).map((url) => ({ label: `Open ${url}`, click: () => void import('electron').then(({ shell }) => shell.openExternal(url)) })),
        ],
      }
    })
    tray.setContextMenu(
      Menu.buildFromTemplate([
        ...(stackItems.length ? stackItems : [{ label: 'No stacks yet', enabled: false }]),
        { type: 'separator' },
        { label: 'Open Aerie', click: actions.open },
        { label: 'Quit Aerie (stops every stack)', click: actions.quit },
      ]),
    )
  }

  const refresh = () => void engine.invoke('stack:list', {}).then(render)
  refresh()
  const off = engine.on('stack:state', refresh)
  return () => {
    off()
    tray.destroy()
  }
}
