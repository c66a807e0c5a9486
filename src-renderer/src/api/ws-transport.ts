import type { CommandName, EventName } from '../../../src-main/contract'
import type { ConnectionState, InvokeResult, Transport } from './transport'

/** Reconnect delays grow to this cap, so a restarted `aerie serve` is found again within seconds. */
const MAX_RECONNECT_DELAY_MS = 5_000
const FIRST_RECONNECT_DELAY_MS = 250
const TOKEN_KEY = 'aerie.token'

/** The token arrives once in the URL `aerie serve` prints; it is kept for the tab and removed from the address bar. */
function takeToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
  }
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? ''
}

/** A refused WebSocket upgrade hides its status; ask the HTTP API whether the token is the reason. */
async function tokenRejected(token: string): Promise<boolean> {
  try {
    const res = await fetch('/api/invoke/stack:list', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' })
    return res.status === 401
  } catch {
    return false // the server is down: keep trying to reconnect
  }
}

/** In a browser: the headless server's WebSocket, with reconnection. */
export function wsTransport(): Transport {
  const token = takeToken()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const connectionListeners = new Set<(state: ConnectionState) => void>()
  const pending = new Map<number, (result: InvokeResult) => void>()
  const queue: string[] = []
  let nextId = 1
  let socket: WebSocket | undefined
  let state: ConnectionState = 'connecting'
  let delay = FIRST_RECONNECT_DELAY_MS

  const setState = (next: ConnectionState) => {
    state = next
    connectionListeners.forEach((l) => l(next))
  }

  const connect = () => {
    const ws = new WebSocket(`ws://${window.location.host}/api/ws?token=${encodeURIComponent(token)}`)
    socket = ws
    ws.onopen = () => {
      delay = FIRST_RECONNECT_DELAY_MS
      setState('open')
      queue.splice(0).forEach((m) => ws.send(m))
    }
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data))
      if (message.type === 'event') listeners.get(message.name)?.forEach((l) => l(message.payload))
      else if (message.type === 'result') {
        pending.get(message.id)?.(message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error })
        pending.delete(message.id)
      }
    }
    ws.onclose = async () => {
      for (const resolve of pending.values()) resolve({ ok: false, error: { message: 'the connection to Aerie was lost' } })
      pending.clear()
      if (await tokenRejected(token)) return setState('unauthorized')
      setState('lost')
      setTimeout(connect, delay)
      delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS)
    }
  }
  if (token) connect()
  else setState('unauthorized')

  return {
    invoke(name: CommandName, request: unknown) {
      const id = nextId++
      const message = JSON.stringify({ type: 'invoke', id, name, request })
      return new Promise<InvokeResult>((resolve) => {
        if (state === 'unauthorized') return resolve({ ok: false, error: { message: 'not authorized: open the URL that `aerie serve` printed' } })
        pending.set(id, resolve)
        if (socket?.readyState === WebSocket.OPEN) socket.send(message)
        else queue.push(message)
      })
    },
    on(name: EventName, listener) {
      if (!listeners.has(name)) listeners.set(name, new Set())
      listeners.get(name)!.add(listener)
      return () => listeners.get(name)?.delete(listener)
    },
    onConnection(listener) {
      connectionListeners.add(listener)
      listener(state)
      return () => connectionListeners.delete(listener)
    },
  }
}
