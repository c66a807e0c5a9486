import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { randomBytes } from 'node:crypto'

/** Headers that describe one connection and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/** Copies headers minus hop-by-hop ones, including those the Connection header names. */
export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connection = headers.connection
  // Most requests name nothing but keep-alive/close: skip building the set (a hot path).
  const named =
    connection && !/^\s*(keep-alive|close)\s*$/i.test(connection)
      ? new Set(
          connection
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        )
      : undefined
  const out: OutgoingHttpHeaders = {}
  for (const name in headers) {
    const value = headers[name]
    // HTTP/2 pseudo-headers (:authority, :path, …) describe the client's stream, not the request to forward.
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name) || named?.has(name)) continue
    out[name] = value
  }
  return out
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** Random bytes are drawn from the OS in 4 KiB batches: one syscall per ~170 requests instead of two per request. */
const RANDOM_POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let poolOffset = 0
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(RANDOM_POOL_BYTES)
    poolOffset = 0
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes)
  poolOffset += bytes
  return hex
}

/** Keeps a valid W3C traceparent's trace id (new span id), or starts a new trace. */
export function nextTraceparent(incoming: string | string[] | undefined): { header: string; traceId: string; spanId: string } {
  const match = typeof incoming === 'string' ? TRACEPARENT.exec(incoming.trim()) : null
  const traceId = match && !/^0+$/.test(match[1]) ? match[1] : randomHex(16)
  const flags = match ? match[3] : '01'
  const spanId = randomHex(8)
  return { header: `00-${traceId}-${spanId}-${flags}`, traceId, spanId }
}

/**
 * The headers sent to an app server: the client's Host kept as is (ASP.NET Core builds
 * URLs from it), X-Forwarded-For appended, X-Forwarded-Proto and -Host set, a traceparent.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, clientIp: string, proto: 'http' | 'https', traceparent: string): OutgoingHttpHeaders {
  const out = withoutHopByHop(headers)
  // The listener has already answered `Expect: 100-continue` to the client; the body follows as a stream.
  delete out.expect
  const prior = headers['x-forwarded-for']
  out['x-forwarded-for'] = prior ? `${prior}, ${clientIp}` : clientIp
  out['x-forwarded-proto'] = proto
  const host = headers.host ?? (headers[':authority'] as string | undefined)
  if (host) out['x-forwarded-host'] = host
  // Set by a stripPrefix route only: a client's would move the app's links (ForwardedHeaders.XForwardedPrefix).
  delete out['x-forwarded-prefix']
  out.traceparent = traceparent
  return out
}

/** The prefix a stripPrefix route sends as X-Forwarded-Prefix, without a trailing slash: `/api`. */
export function forwardedPrefix(pathPrefix: string): string {
  return pathPrefix.replace(/\/+$/, '')
}

/** The request target without the route's prefix (`/api/x?y` → `/x?y`, `/api` → `/`). */
export function stripPathPrefix(url: string, pathPrefix: string): string {
  const prefix = forwardedPrefix(pathPrefix)
  const rest = url.startsWith(prefix) ? url.slice(prefix.length) : url
  return rest === '' || rest.startsWith('?') ? `/${rest}` : rest
}

/** RFC 7239 `Forwarded` for one hop; IPv6 addresses are quoted and bracketed as the RFC requires. */
export function forwardedFor(clientIp: string, proto: 'http' | 'https', host: string): string {
  const ip = clientIp.startsWith('::ffff:') ? clientIp.slice(7) : clientIp
  const forValue = ip.includes(':') ? `"[${ip}]"` : ip
  return `for=${forValue};proto=${proto};host="${host.replace(/"/g, '')}"`
}
