// The renderer's only door to the main process: `window.aerie`, limited to the contract's channels.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { commandNames, eventNames, type AerieBridge } from '../contract.js'

const bridge: AerieBridge = {
  invoke(name, request) {
    if (!commandNames.includes(name)) return Promise.resolve({ ok: false, error: { message: `unknown command "${name}"` } })
    return ipcRenderer.invoke(name, request)
  },
  on(name, listener) {
    if (!eventNames.includes(name)) throw new Error(`unknown event "${name}"`)
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload)
    ipcRenderer.on(name, wrapped)
    return () => ipcRenderer.off(name, wrapped)
  },
}

contextBridge.exposeInMainWorld('aerie', bridge)
