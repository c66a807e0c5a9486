import http from 'node:http'
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'

/** Headers of a refused upgrade's answer that would keep the client's connection open (it is closed after the answer). */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'upgrade', 'transfer-encoding'])

/** A response head as it goes back to the client, from the instance's raw header pairs. */
function responseHead(res: IncomingMessage, keep: (name: string) => boolean, extra: string[] = []): string {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}`]
  for (let i = 0; i < res.rawHeaders.length; i += 2) if (keep(res.rawHeaders[i].toLowerCase())) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`)
  return `${[...lines, ...extra].join('\r\n')}\r\n\r\n`
}

export interface TunnelEvents {
  /** The instance's status: 101 when it switched protocols, anything else when it refused. */
  onStatus: (status: number) => void
  /** No answer from the instance (connect failure, timeout, broken answer) before anything was relayed. */
  onError: (err: Error) => void
  onClose: (bytesIn: number, bytesOut: number) => void
}

/**
 * Sends the upgrade request to the instance with `headers` through Node's HTTP client, which parses
 * the answer. Only a 101 splices the two sockets; any other answer is relayed with `Connection: close`
 * and the client's connection ends with it, so nothing the client sends next reaches the instance
 * unparsed (a raw tunnel after a refused upgrade would carry whatever the client writes).
 */
export function tunnelUpgrade(
  req: Pick<IncomingMessage, 'method' | 'url'>,
  client: Duplex,
  head: Buffer,
  /** `path`: the request target sent upstream, when it is not the client's (a stripPrefix route). */
  target: { host: string; port: number; connectTimeoutMs: number; path?: string },
  headers: OutgoingHttpHeaders,
  events: TunnelEvents,
): void {
  const upstreamReq = http.request({ host: target.host, port: target.port, method: req.method, path: target.path ?? req.url, headers, agent: false, setHost: false })
  let relayed = false
  let closed = false
  let bytesIn = 0
  let bytesOut = 0
  const timer = setTimeout(() => upstreamReq.destroy(new Error(`no connection within ${target.connectTimeoutMs} ms`)), target.connectTimeoutMs)
  upstreamReq.once('socket', (s) => s.once('connect', () => clearTimeout(timer)))
  const close = () => {
    if (closed) return
    closed = true
    clearTimeout(timer)
    upstreamReq.destroy()
    client.destroy()
    events.onClose(bytesIn, bytesOut)
  }
  client.on('error', close)
  client.on('close', close)

  upstreamReq.on('upgrade', (res: IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
    relayed = true
    events.onStatus(res.statusCode ?? 101)
    client.write(responseHead(res, () => true))
    if (upstreamHead.length) client.write(upstreamHead)
    if (head.length) upstream.write(head)
    upstream.on('data', (d: Buffer) => (bytesOut += d.length))
    client.on('data', (d: Buffer) => (bytesIn += d.length))
    upstream.pipe(client)
    client.pipe(upstream)
    upstream.on('error', close)
    upstream.on('close', close)
  })
  upstreamReq.on('response', (res: IncomingMessage) => {
    relayed = true
    events.onStatus(res.statusCode ?? 502)
    // The client is not read again: its next bytes would be a request nobody parses.
    client.pause()
    client.write(responseHead(res, (name) => !CONNECTION_HEADERS.has(name), ['Connection: close']))
    res.on('data', (d: Buffer) => {
      bytesOut += d.length
      client.write(d)
    })
    res.on('end', () => client.end())
    res.on('error', close)
  })
  upstreamReq.on('error', (err) => {
    // Before any answer the client gets an error page (onError ends its socket, which then closes the tunnel).
    if (!relayed) events.onError(err)
    else close()
  })
  upstreamReq.end()
}
