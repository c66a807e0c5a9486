import type { Trace } from '../../../src-main/contract'

const pairs = (headers: Record<string, string> | undefined) => Object.entries(headers ?? {}).map(([name, value]) => ({ name, value }))

/** Requests as a HAR 1.2 log (what browsers' dev tools and HTTP Toolkit import); unknown sizes and timings are -1. */
export function tracesToHar(traces: Trace[], creatorVersion = '0.1.0'): object {
  return {
    log: {
      version: '1.2',
      creator: { name: 'Aerie', version: creatorVersion },
      entries: traces.map((t) => {
        const scheme = t.tls ? 'https' : 'http'
        const url = new URL(`${scheme}://${t.requestHeaders?.host ?? t.host}${t.path}`)
        const httpVersion = t.protocol.split(' ')[0] || 'HTTP/1.1'
        const connect = t.timings?.connectMs ?? -1
        const wait = t.timings?.ttfbMs !== undefined ? Math.max(0, t.timings.ttfbMs - Math.max(0, connect)) : -1
        const receive = t.timings?.ttfbMs !== undefined ? Math.max(0, t.durationMs - t.timings.ttfbMs) : -1
        return {
          startedDateTime: new Date(t.time).toISOString(),
          time: t.durationMs,
          request: {
            method: t.method,
            url: url.toString(),
            httpVersion,
            headers: pairs(t.requestHeaders),
            queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
            cookies: [],
            headersSize: -1,
            bodySize: t.requestBytes ?? -1,
          },
          response: {
            status: t.status,
            statusText: '',
            httpVersion,
            headers: pairs(t.responseHeaders),
            cookies: [],
            content: { size: t.responseBytes ?? -1, mimeType: t.responseHeaders?.['content-type'] ?? '' },
            redirectURL: t.responseHeaders?.location ?? '',
            headersSize: -1,
            bodySize: t.responseBytes ?? -1,
          },
          cache: {},
          timings: { blocked: -1, dns: -1, ssl: t.timings?.tlsMs ?? -1, connect, send: 0, wait, receive },
          serverIPAddress: '127.0.0.1',
          comment: [t.upstream && `served by ${t.upstream}`, t.traceId && `trace ${t.traceId}`, t.error].filter(Boolean).join('; '),
        }
      }),
    },
  }
}
