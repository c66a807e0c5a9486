import type { AerieBridge } from '../../../src-main/contract'
import type { Transport } from './transport'

/** Inside Electron: the preload's `window.aerie`; the connection is always open. */
export function electronTransport(bridge: AerieBridge): Transport {
  return {
    invoke: (name, request) => bridge.invoke(name, request),
    on: (name, listener) => bridge.on(name, listener),
    onConnection: (listener) => {
      listener('open')
      return () => {}
    },
  }
}
