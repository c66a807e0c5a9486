// A stand-in for the parts of Electron's main-process API that src-main/electron uses, for a test
// that runs the built shell (out/main/index.js) in plain Node, forked with an IPC channel. It
// reports what the shell did to the parent (`process.send`) and takes its orders from it:
// invoke an ipcMain handler, click a tray item, close the windows, quit.
// STUB_SINGLE_INSTANCE=taken makes requestSingleInstanceLock() answer false, as for a second instance.
import { EventEmitter } from 'node:events'

const report = (type, detail = {}) => process.send?.({ type, ...detail })

class App extends EventEmitter {
  #ready = Promise.resolve()
  requestSingleInstanceLock() {
    const got = process.env.STUB_SINGLE_INSTANCE !== 'taken'
    report('single-instance-lock', { got })
    return got
  }
  whenReady() {
    return this.#ready
  }
  quit() {
    let prevented = false
    this.emit('before-quit', { preventDefault: () => (prevented = true) })
    report('quit', { prevented })
    if (!prevented) setImmediate(() => process.exit(0))
  }
  exit(code) {
    report('exit', { code })
    setImmediate(() => process.exit(code))
  }
}
export const app = new App()

const handlers = new Map()
export const ipcMain = {
  handle(name, fn) {
    handlers.set(name, fn)
  },
  removeHandler(name) {
    handlers.delete(name)
  },
}

const windows = []
export class BrowserWindow extends EventEmitter {
  #destroyed = false
  constructor(options) {
    super()
    this.options = options
    this.webContents = Object.assign(new EventEmitter(), {
      setWindowOpenHandler: () => undefined,
      send: (channel, payload) => report('renderer-event', { channel, payload: channel === 'stack:state' ? { id: payload.stack.id, state: payload.state } : undefined }),
      executeJavaScript: async () => undefined,
    })
    windows.push(this)
    report('window', { preload: options.webPreferences.preload, contextIsolation: options.webPreferences.contextIsolation, sandbox: options.webPreferences.sandbox })
  }
  async loadFile(file) {
    report('load', { file })
    setImmediate(() => this.emit('ready-to-show'))
  }
  async loadURL(url) {
    report('load', { url })
  }
  show() {}
  focus() {}
  restore() {}
  isMinimized() {
    return false
  }
  isDestroyed() {
    return this.#destroyed
  }
  destroy() {
    this.#destroyed = true
  }
}

let trayMenu = []
export class Tray extends EventEmitter {
  setToolTip() {}
  setContextMenu(menu) {
    trayMenu = menu
    report('tray-menu', { labels: menu.map((item) => item.label ?? `(${item.type})`) })
  }
  destroy() {}
}

export const Menu = {
  buildFromTemplate: (template) => template,
  setApplicationMenu: (menu) => report('app-menu', { labels: menu.map((item) => item.label ?? item.role) }),
}
export const nativeImage = { createFromPath: (file) => ({ file }) }
export const dialog = { showErrorBox: (title, content) => report('error-box', { title, content }) }
export const shell = { openExternal: async (url) => report('open-external', { url }) }
export const session = { defaultSession: { webRequest: { onHeadersReceived: (fn) => report('csp', { installed: typeof fn === 'function' }) } } }

process.on('message', async (order) => {
  if (order.type === 'invoke') {
    const handler = handlers.get(order.name)
    const response = handler ? await handler({ senderFrame: { url: order.senderUrl } }, order.request) : { ok: false, error: { message: 'no handler' } }
    report('invoked', { id: order.id, response })
  } else if (order.type === 'handlers') {
    report('handlers', { names: [...handlers.keys()] })
  } else if (order.type === 'close-windows') {
    for (const window of windows) window.destroy()
    app.emit('window-all-closed')
    report('windows-closed')
  } else if (order.type === 'click-tray') {
    const item = trayMenu.find((i) => i.label === order.label)
    report('tray-click', { found: Boolean(item) })
    item?.click?.()
  }
})
