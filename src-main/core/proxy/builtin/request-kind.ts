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

/** An HTTP/1 parser's request that names a version other than 1.x (e.g. `GET / HTTP/2.0`): answered 505, never forwarded. */
export function hasUnsupportedVersion(req: ProxyRequest): boolean {
  return !isHttp2Request(req) && req.httpVersionMajor !== 1
}
