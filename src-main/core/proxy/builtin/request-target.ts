import http2 from 'node:http2'
import type { ProxyRequest } from './upstream-exchange.js'

/**
 * True for a request that came on an HTTP/2 stream. Decided by the request's class, never by
 * `req.httpVersion`: Node's HTTP/1 parser accepts a request line naming `HTTP/2.0`, and such a
 * request has no stream.
 */
export function isHttp2Request(req: ProxyRequest): req is http2.Http2ServerRequest {
  return req instanceof http2.Http2ServerRequest
}

/** Methods an app server answers for `*` (RFC 9110 §9.3.7): the proxy answers `OPTIONS *` itself. */
export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'

/** A request the proxy answers itself instead of forwarding: status, a line for the client and the trace. */
export interface Refusal {
  status: 204 | 400 | 505
  reason: string
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#@]+)([^#]*)$/i

/**
 * Checks a request's version, Host and request target before it is routed, and brings an
 * absolute-form target (`GET http://host/path`) to origin form with its authority as the Host,
 * as RFC 9112 §3.2.2 requires of a server. Returns what to answer instead when it must not go on.
 */
export function checkRequestTarget(req: ProxyRequest): Refusal | undefined {
  const url = req.url ?? ''
  if (isHttp2Request(req)) {
    if (url === '*' && req.method === 'OPTIONS') return { status: 204, reason: 'OPTIONS * is answered by the proxy' }
    return url.startsWith('/') ? undefined : { status: 400, reason: `the request target ${JSON.stringify(url.slice(0, 80))} is not a path` }
  }
  if (req.httpVersionMajor !== 1) return { status: 505, reason: `HTTP/${req.httpVersion} is not spoken on an HTTP/1 connection` }
  let hosts = 0
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].length === 4 && req.rawHeaders[i].toLowerCase() === 'host') hosts++
  if (hosts > 1) return { status: 400, reason: 'the request has more than one Host header' }
  if (url.startsWith('/')) return undefined
  if (url === '*') return req.method === 'OPTIONS' ? { status: 204, reason: 'OPTIONS * is answered by the proxy' } : { status: 400, reason: `${req.method} * is not a request` }
  const absolute = ABSOLUTE_FORM.exec(url)
  if (!absolute) return { status: 400, reason: `the request target ${JSON.stringify(url.slice(0, 80))} is neither a path nor an absolute URL` }
  req.headers.host = absolute[1]
  req.url = absolute[2].startsWith('/') ? absolute[2] : `/${absolute[2]}`
  return undefined
}
