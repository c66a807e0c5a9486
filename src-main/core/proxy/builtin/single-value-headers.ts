import type { OutgoingHttpHeaders } from 'node:http'

/**
 * Response fields that Node's HTTP/2 layer accepts once only (its kSingleValueHeaders list, the
 * ones a response can carry): a repeated one makes `writeHead` throw ERR_HTTP2_HEADER_SINGLE_VALUE,
 * which ended the whole connection. ASP.NET Core's MapStaticAssets, for one, sends two ETags.
 */
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials',
  'access-control-max-age',
  'age',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expires',
  'last-modified',
  'location',
  'retry-after',
  'tk',
  'x-content-type-options',
])

/** Keeps the first value of each repeated single-value field (as Node's HTTP/1 parser does), in place. */
export function singleValued(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  for (const name in headers) {
    const value = headers[name]
    if (Array.isArray(value) && SINGLE_VALUE.has(name)) headers[name] = value[0]
  }
  return headers
}
