// The native menu with the usual accelerators; view items navigate the renderer's hash routes.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'

export function installAppMenu(getWindow: () => BrowserWindow | undefined, quit: () => void): void {
  const go = (route: string) => () => {
    const window = getWindow()
    if (window) void window.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#${route}`)}`)
  }
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Stack', accelerator: 'CmdOrCtrl+N', click: go('/stacks/new') },
        { type: 'separator' },
        { label: 'Close Window', accelerator: 'CmdOrCtrl+W', role: 'close' },
        { label: 'Quit (stops every stack)', accelerator: 'CmdOrCtrl+Q', click: quit },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Stacks', accelerator: 'Alt+1', click: go('/stacks') },
        { label: 'Logs', accelerator: 'Alt+2', click: go('/logs') },
        { label: 'Traces', accelerator: 'Alt+3', click: go('/traces') },
        { label: 'Certificates', accelerator: 'Alt+4', click: go('/certificates') },
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
