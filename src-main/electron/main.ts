// The desktop shell: wires the engine to a window. Behaviour lives in core/; this file only connects.
import path from 'node:path'
import { app, BrowserWindow, dialog, session, shell } from 'electron'
import { Engine } from '../core/engine.js'
import { EngineBusyError } from '../core/engine-lock.js'
import { dataDir, rendererDir } from '../core/paths.js'
import { startHeadlessServer } from '../server/headless-server.js'
import { installAppMenu } from './app-menu.js'
import { registerIpc } from './ipc.js'
import { createTray } from './tray.js'

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// A second instance hands over to the first (its 'second-instance' shows the window) and ends
// before it touches the data directory.
if (app.requestSingleInstanceLock()) startApp()
else app.quit()

function startApp(): void {
  const engine = new Engine({ dataDir: dataDir(), face: 'electron' })
  let quitting = false
  let mainWindow: BrowserWindow | undefined
  let disposeIpc: (() => void) | undefined

  function showWindow(): void {
    if (mainWindow && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore()
      mainWindow.show()
      mainWindow.focus()
    } else void createWindow()
  }

  async function createWindow(): Promise<void> {
    const window = new BrowserWindow({
      width: 1200,
      height: 780,
      title: 'Aerie',
      show: false,
      webPreferences: {
        preload: path.join(import.meta.dirname, '../preload/preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
      },
    })
    const devUrl = process.env.ELECTRON_RENDERER_URL
    const rendererUrl = devUrl ?? `file://${rendererDir()}`
    disposeIpc?.()
    disposeIpc = registerIpc(engine, window, rendererUrl)
    mainWindow = window
    window.webContents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//.test(url)) void shell.openExternal(url)
      return { action: 'deny' }
    })
    window.webContents.on('will-navigate', (event, url) => {
      if (!url.startsWith(rendererUrl)) event.preventDefault()
    })
    window.once('ready-to-show', () => window.show())
    if (devUrl) await window.loadURL(devUrl)
    else await window.loadFile(path.join(rendererDir(), 'index.html'))
  }

  app.on('second-instance', showWindow)
  app.on('activate', showWindow)

  app.whenReady().then(async () => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
    })
    try {
      await engine.init()
    } catch (err) {
      // Another engine (`aerie serve`, a foreground `aerie start`) holds the data directory: its processes are left alone.
      const busy = err instanceof EngineBusyError
      dialog.showErrorBox(busy ? 'Aerie is already running' : 'Aerie could not start', (err as Error).message)
      if (busy && err.holder.port) void shell.openExternal(`http://127.0.0.1:${err.holder.port}/`)
      app.exit(1)
      return
    }
    // The CLI talks to this engine through the same loopback API that `aerie serve` offers.
    const server = await startHeadlessServer({ engine, rendererDir: rendererDir() })
    await engine.publish({ port: server.port, token: server.token })
    app.on('before-quit', (event) => {
      if (quitting) return
      event.preventDefault()
      quitting = true
      void engine
        .shutdown()
        .then(() => server.close())
        .finally(() => app.quit())
    })
    installAppMenu(() => mainWindow, () => app.quit())
    createTray(engine, { open: showWindow, quit: () => app.quit() })
    await createWindow()
  })

  // Closing the window keeps the stacks running in the tray; Quit (menu, tray, Cmd/Ctrl+Q) stops them first.
  app.on('window-all-closed', () => undefined)
}
