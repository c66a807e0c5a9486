import { describe, expect, it } from 'vitest'
import type { Trace } from '../../../src-main/contract.js'
import { tracesToHar } from '../../../src-renderer/src/traces/har.js'
import { emptyTraceFilter, matchesTrace } from '../../../src-renderer/src/traces/trace-filter.js'

const trace = (over: Partial<Trace> = {}): Trace => ({
  id: '1',
  time: Date.UTC(2026, 0, 1),
  stackId: 'demo',
  client: '127.0.0.1',
  protocol: 'HTTP/2',
  tls: 'TLSv1.3',
  method: 'GET',
  host: 'demo.localhost',
  path: '/api/items?page=2',
  status: 200,
  durationMs: 12,
  upstream: 'web#1',
  requestBytes: 0,
  responseBytes: 512,
  timings: { connectMs: 1, ttfbMs: 10, totalMs: 12, tlsMs: 3 },
  requestHeaders: { host: 'demo.localhost:8443', accept: '*/*' },
  responseHeaders: { 'content-type': 'application/json' },
  ...over,
})

describe('trace filters', () => {
  it('filters by status class, host, text and minimum duration', () => {
    const f = emptyTraceFilter()
    expect(matchesTrace(trace(), { ...f, status: '2xx' })).toBe(true)
    expect(matchesTrace(trace(), { ...f, status: '5xx' })).toBe(false)
    expect(matchesTrace(trace({ status: 502 }), { ...f, status: 'errors' })).toBe(true)
    expect(matchesTrace(trace({ status: 200, error: 'x' }), { ...f, status: 'errors' })).toBe(true)
    expect(matchesTrace(trace(), { ...f, host: 'other.localhost' })).toBe(false)
    expect(matchesTrace(trace(), { ...f, text: 'ITEMS' })).toBe(true)
    expect(matchesTrace(trace(), { ...f, text: 'web#2' })).toBe(false)
    expect(matchesTrace(trace(), { ...f, minMs: 50 })).toBe(false)
  })
  it('"with app errors" keeps the traces whose trace id the app reported an error in, whatever their status', () => {
    const f = { ...emptyTraceFilter(), status: 'app-errors' as const }
    expect(matchesTrace(trace({ traceId: 'a'.repeat(32), status: 200 }), f, new Set(['a'.repeat(32)]))).toBe(true)
    expect(matchesTrace(trace({ traceId: 'b'.repeat(32), status: 500 }), f, new Set(['a'.repeat(32)]))).toBe(false)
    expect(matchesTrace(trace({ traceId: undefined }), f, new Set(['a'.repeat(32)]))).toBe(false)
  })
})

describe('HAR export', () => {
  it('writes HAR 1.2 entries with URL, query, headers, sizes and timings', () => {
    const har = tracesToHar([trace()]) as { log: { version: string; entries: Record<string, any>[] } }
    expect(har.log.version).toBe('1.2')
    const e = har.log.entries[0]
    expect(e.request).toMatchObject({ method: 'GET', url: 'https://demo.localhost:8443/api/items?page=2', httpVersion: 'HTTP/2', queryString: [{ name: 'page', value: '2' }] })
    expect(e.response).toMatchObject({ status: 200, content: { size: 512, mimeType: 'application/json' } })
    expect(e.timings).toEqual({ blocked: -1, dns: -1, ssl: 3, connect: 1, send: 0, wait: 9, receive: 2 })
    expect(e.comment).toBe('served by web#1')
  })
})
