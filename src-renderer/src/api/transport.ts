import type { CommandError, CommandName, EventName } from '../../../src-main/contract'

export type InvokeResult = { ok: true; result: unknown } | { ok: false; error: CommandError }

/** `unauthorized`: the page was opened without the token `aerie serve` printed (or with a stale one). */
export type ConnectionState = 'connecting' | 'open' | 'lost' | 'unauthorized'

/** How the renderer reaches the engine: Electron IPC or the headless server's WebSocket. */
export interface Transport {
  invoke(name: CommandName, request: unknown): Promise<InvokeResult>
  on(name: EventName, listener: (payload: unknown) => void): () => void
  onConnection(listener: (state: ConnectionState) => void): () => void
}
