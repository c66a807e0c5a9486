import net from 'node:net'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { OutgoingHttpHeaders } from 'node:http'

/** Serialises a request head the way the upstream expects it on the wire. */
function requestHead(method: string, url: string, headers: OutgoingHttpHeaders): string {
  const lines = [`${method} ${url} HTTP/1.1`]
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`)
  }
  return `${lines.join('\r\n')}\r\n\r\n`
}

/**
 * Opens a TCP connection to the upstream, replays the upgrade request with `headers`, and
 * then splices the two sockets. `onStatus` gets the upstream's status code (101 when the
 * WebSocket was accepted); `onError` a connect failure before anything was relayed.
 */
export function tunnelUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: { host: string; port: number; connectTimeoutMs: number },
  headers: OutgoingHttpHeaders,
  events: { onStatus: (status: number) => void; onError: (err: Error) => void; onClose: (bytesIn: number, bytesOut: number) => void },
): void {
  const upstream = net.connect({ host: target.host, port: target.port })
  let relayed = false
  const timer = setTimeout(() => upstream.destroy(new Error(`no connection within ${target.connectTimeoutMs} ms`)), target.connectTimeoutMs)
  upstream.once('connect', () => {
    clearTimeout(timer)
    upstream.write(requestHead(req.method ?? 'GET', req.url ?? '/', headers))
    if (head.length) upstream.write(head)
    upstream.once('data', (first: Buffer) => {
      relayed = true
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(first.subarray(0, 16).toString('latin1'))
      events.onStatus(match ? Number(match[1]) : 502)
      client.write(first)
      upstream.pipe(client)
      client.pipe(upstream)
    })
  })
  upstream.on('error', (err) => {
    clearTimeout(timer)
    if (!relayed) events.onError(err)
    client.destroy()
  })
  client.on('error', () => upstream.destroy())
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    upstream.destroy()
    client.destroy()
    events.onClose(upstream.bytesWritten, upstream.bytesRead)
  }
  upstream.on('close', close)
  client.on('close', close)
}
