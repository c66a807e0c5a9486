// The only file that touches ipcMain: contract commands in, engine events out.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { commandNames, eventNames, type EngineApi } from '../contract.js'
import { toCommandError } from '../core/command-error.js'

/** Only our own renderer (the dev server or the packaged file) may call the engine. */
function isOurRenderer(event: IpcMainInvokeEvent, rendererUrl: string): boolean {
  const url = event.senderFrame?.url ?? ''
  return url.startsWith(rendererUrl)
}

export function registerIpc(engine: EngineApi, window: BrowserWindow, rendererUrl: string): () => void {
  for (const name of commandNames) {
    ipcMain.handle(name, async (event, request: unknown) => {
      if (!isOurRenderer(event, rendererUrl)) return { ok: false, error: { code: 'denied', message: 'sender is not the Aerie renderer' } }
      try {
        // engine.invoke validates the payload against the contract's schema.
        return { ok: true, result: await engine.invoke(name, request as never) }
      } catch (err) {
        return { ok: false, error: toCommandError(err) }
      }
    })
  }
  const disposers = eventNames.map((name) =>
    engine.on(name, (payload) => {
      if (!window.isDestroyed()) window.webContents.send(name, payload)
    }),
  )
  return () => {
    for (const name of commandNames) ipcMain.removeHandler(name)
    disposers.forEach((d) => d())
  }
}
