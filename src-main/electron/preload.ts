// The renderer's only door to the main process: `window.aerie`, limited to the contract's channels.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { COMMAND_NAMES, EVENT_NAMES } from '../contract-names.js'
import type { AerieBridge } from '../contract.js'

const bridge: AerieBridge = {
  invoke(name, request) {
    if (!(COMMAND_NAMES as readonly string[]).includes(name)) return Promise.resolve({ ok: false, error: { code: 'usage', message: `unknown command "${name}"` } })
    return ipcRenderer.invoke(name, request)
  },
  on(name, listener) {
    if (!(EVENT_NAMES as readonly string[]).includes(name)) throw new Error(`unknown event "${name}"`)
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload)
    ipcRenderer.on(name, wrapped)
    return () => ipcRenderer.off(name, wrapped)
  },
}

contextBridge.exposeInMainWorld('aerie', bridge)
