import { describe, expect, it } from 'vitest'
import { AppTelemetry } from '../../../src-main/core/telemetry/otlp/app-telemetry.js'
import { decodeLogs, decodeSpans, encodeLogsRequest, encodeTraceRequest } from '../../../src-main/core/telemetry/otlp/otlp-decode.js'
import { holdsTraceId, indexExport } from '../../../src-main/core/telemetry/otlp/otlp-index.js'
import { buildTimeline } from '../../../src-main/core/telemetry/otlp/timeline.js'
import type { Trace } from '../../../src-main/contract.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PROXY_SPAN = '00f067aa0ba902b7'
const SERVER_SPAN = '1111111111111111'
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64')
const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shop/web' } }, { key: 'service.instance.id', value: { stringValue: '2' } }] }

describe('OTLP export requests', () => {
  it('decodes protobuf spans: ids as hex, nanoseconds as milliseconds, attributes, status, the service and instance', () => {
    const body = encodeTraceRequest({
      resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'Microsoft.AspNetCore' }, spans: [{ traceId: b64(TRACE_ID), spanId: b64(SERVER_SPAN), parentSpanId: b64(PROXY_SPAN), name: 'GET /', kind: 2, startTimeUnixNano: '1764662400123456789', endTimeUnixNano: '1764662400125456789', attributes: [{ key: 'http.response.status_code', value: { intValue: 500 } }, { key: 'url.path', value: { stringValue: '/' } }], status: { code: 2, message: 'boom' } }] }] }],
    })
    const [span] = decodeSpans(body, 'protobuf')
    expect(span).toEqual({ traceId: TRACE_ID, spanId: SERVER_SPAN, parentSpanId: PROXY_SPAN, name: 'GET /', kind: 2, service: 'shop/web#2', scope: 'Microsoft.AspNetCore', startMs: expect.closeTo(1764662400123.457, 3), endMs: expect.closeTo(1764662400125.457, 3), attributes: { 'http.response.status_code': 500, 'url.path': '/' }, status: { code: 2, message: 'boom' }, events: [] })
  })

  it('decodes OTLP/JSON logs (hex ids, string integers), and a body that is not an export request throws', () => {
    const json = { resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'Program' }, logRecords: [{ timeUnixNano: '1764662400124000000', severityNumber: 9, severityText: 'Information', body: { stringValue: 'Greeting localhost' }, traceId: TRACE_ID.toUpperCase(), spanId: SERVER_SPAN, attributes: [{ key: 'Host', value: { stringValue: 'localhost' } }] }] }] }] }
    expect(decodeLogs(Buffer.from(JSON.stringify(json)), 'json')).toEqual([{ traceId: TRACE_ID, spanId: SERVER_SPAN, timeMs: 1764662400124, severity: 9, severityText: 'Information', body: 'Greeting localhost', service: 'shop/web#2', scope: 'Program', attributes: { Host: 'localhost' } }])
    const template = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'Greeting {Host} from {Instance:D2}, {Missing}' }, attributes: [{ key: 'Host', value: { stringValue: 'shop.test' } }, { key: 'Instance', value: { intValue: '2' } }] }] }] }] }
    expect(decodeLogs(Buffer.from(JSON.stringify(template)), 'json')[0].body).toBe('Greeting shop.test from 2, {Missing}')
    expect(() => decodeSpans(Buffer.from([0x0a, 0xff, 0xff]), 'protobuf')).toThrow()
    expect(() => decodeLogs(Buffer.from('{"resourceLogs":'), 'json')).toThrow()
  })

  it('skips spans without a valid trace or span id (all zeros, wrong length)', () => {
    const body = encodeTraceRequest({ resourceSpans: [{ resource, scopeSpans: [{ spans: [{ traceId: b64('00'.repeat(16)), spanId: b64(SERVER_SPAN), name: 'a' }, { traceId: b64('ab'), spanId: b64(SERVER_SPAN), name: 'b' }] }] }] })
    expect(decodeSpans(body, 'protobuf')).toEqual([])
  })
})

describe('protobuf exports kept whole and indexed', () => {
  const OTHER = 'c'.repeat(32)
  const traces = encodeTraceRequest({
    resourceSpans: [
      { resource, scopeSpans: [{ spans: [
        { traceId: b64(TRACE_ID), spanId: b64(SERVER_SPAN), name: 'GET /', attributes: [{ key: 'url.path', value: { stringValue: '/' } }] },
        { traceId: b64(TRACE_ID), spanId: b64('2'.repeat(16)), parentSpanId: b64(SERVER_SPAN), name: 'SELECT', status: { code: 2, message: 'timeout' } },
        { traceId: b64('00'.repeat(16)), spanId: b64('3'.repeat(16)), name: 'no trace' },
      ] }] },
      { scopeSpans: [{ spans: [{ traceId: b64(OTHER), spanId: b64('4'.repeat(16)), name: 'GET /ok', status: { code: 1 } }] }] },
    ],
  })
  const logs = encodeLogsRequest({ resourceLogs: [{ resource, scopeLogs: [{ logRecords: [
    { traceId: b64(OTHER), spanId: b64('4'.repeat(16)), severityNumber: 17, body: { stringValue: 'failed' } },
    { severityNumber: 9, body: { stringValue: 'no trace' } },
  ] }] }] })

  it('finds the trace ids and errors by walking the bytes, as decoding would', () => {
    const ids = (index: { ids: Buffer }) => Array.from({ length: index.ids.length / 16 }, (_, k) => index.ids.toString('hex', k * 16, k * 16 + 16))
    const index = indexExport(traces, 'traces')
    expect(ids(index)).toEqual([TRACE_ID, TRACE_ID, OTHER])
    expect(index).toMatchObject({ items: 4, withoutTrace: 1, errors: [TRACE_ID] })
    const decoded = decodeSpans(traces, 'protobuf')
    expect(decoded.map((s) => s.traceId)).toEqual(ids(index))
    expect(ids(indexExport(logs, 'logs'))).toEqual([OTHER])
    expect(indexExport(logs, 'logs')).toMatchObject({ items: 2, withoutTrace: 1, errors: [OTHER] })
    expect(holdsTraceId(index.ids, Buffer.from(OTHER, 'hex'))).toBe(true)
    // A match that straddles two ids is not one.
    expect(holdsTraceId(index.ids, index.ids.subarray(8, 24))).toBe(false)
  })

  it('refuses bytes that are not protobuf: truncated, a length past the end, field 0', () => {
    expect(() => indexExport(traces.subarray(0, traces.length - 3), 'traces')).toThrow()
    expect(() => indexExport(Buffer.from([0x0a, 0xff, 0xff]), 'traces')).toThrow('truncated varint')
    expect(() => indexExport(Buffer.from([0x0a, 0x05, 0x01]), 'traces')).toThrow('length runs past the message')
    expect(() => indexExport(Buffer.from([0x00, 0x01]), 'logs')).toThrow('field number 0')
    expect(indexExport(Buffer.alloc(0), 'traces').ids.length).toBe(0)
  })

  it('decodes a kept request when a timeline is asked for, once, with only that trace', () => {
    const store = new AppTelemetry()
    store.addExport('shop', 'traces', traces)
    store.addExport('shop', 'logs', logs)
    expect(store.errorTraces('shop').sort()).toEqual([OTHER, TRACE_ID].sort())
    expect(store.stats()).toEqual({ spans: 3, logs: 1, dropped: 2, decodedTraces: 0, requestsKept: 2 })
    const first = store.timeline(TRACE_ID)
    expect(first.spans.map((s) => s.name)).toEqual(['GET /', 'SELECT'])
    expect(first.spans[0]).toMatchObject({ service: 'shop/web#2', attributes: { 'url.path': '/' } })
    expect(store.timeline(TRACE_ID)).toEqual(first)
    expect(store.timeline(OTHER)).toMatchObject({ spans: [{ name: 'GET /ok' }], logs: [{ body: 'failed' }] })
  })

  it('merges a request that arrives after a timeline was opened, without decoding the earlier ones again', () => {
    const store = new AppTelemetry()
    store.addExport('shop', 'traces', traces)
    expect(store.timeline(OTHER)).toMatchObject({ spans: [{ name: 'GET /ok' }], logs: [] })
    store.addExport('shop', 'logs', logs)
    const again = store.timeline(OTHER)
    expect(again.spans.map((s) => s.name)).toEqual(['GET /ok'])
    expect(again.logs.map((l) => l.body)).toEqual(['failed'])
    expect(store.timeline(OTHER)).toEqual(again)
    expect(store.timeline('not a trace id')).toEqual({ spans: [], logs: [] })
  })

  it('forgets an error trace with the request that reported it', () => {
    const store = new AppTelemetry(10_000, traces.length + 64)
    store.addExport('shop', 'traces', traces)
    expect(store.errorTraces('shop')).toEqual([TRACE_ID])
    expect(store.errorTraces('other')).toEqual([])
    store.addExport('shop', 'logs', logs)
    expect(store.errorTraces('shop')).toEqual([OTHER])
  })

  it('keeps at most so many bytes of requests: the oldest go, and their spans with them', () => {
    const store = new AppTelemetry(10_000, traces.length + logs.length)
    store.addExport('shop', 'traces', traces)
    store.addExport('shop', 'logs', logs)
    store.addExport('shop', 'logs', logs)
    expect(store.timeline(TRACE_ID).spans).toEqual([])
    expect(store.timeline(OTHER)).toMatchObject({ spans: [], logs: [{ body: 'failed' }, { body: 'failed' }] })
  })
})

describe('the apps’ telemetry store and a request’s timeline', () => {
  const span = (spanId: string, parentSpanId: string | undefined, startMs: number, endMs: number, code = 0) => ({ traceId: TRACE_ID, spanId, parentSpanId, name: spanId, kind: 2, service: 's', scope: '', startMs, endMs, attributes: {}, status: { code }, events: [] })

  it('is bounded: the oldest trace goes first, and error traces are named', () => {
    const store = new AppTelemetry(2)
    store.addSpans('a', [{ ...span('1'.repeat(16), undefined, 0, 1, 2), traceId: 'a'.repeat(32) }])
    store.addSpans('a', [{ ...span('2'.repeat(16), undefined, 0, 1), traceId: 'b'.repeat(32) }])
    store.addSpans('b', [{ ...span('3'.repeat(16), undefined, 0, 1), traceId: 'c'.repeat(32) }])
    expect(store.timeline('a'.repeat(32)).spans).toEqual([])
    expect(store.stats()).toMatchObject({ spans: 3, decodedTraces: 2 })
    store.addLogs('b', [{ traceId: 'c'.repeat(32), timeMs: 1, severity: 17, severityText: 'Error', body: 'x', service: 's', scope: '', attributes: {} }, { timeMs: 1, severity: 9, severityText: '', body: 'no trace', service: 's', scope: '', attributes: {} }])
    expect(store.errorTraces()).toEqual(['c'.repeat(32)])
    expect(store.errorTraces('a')).toEqual([])
    expect(store.stats().dropped).toBe(1)
  })

  it('puts the proxy hop first and the app spans as a tree under it, by start time', () => {
    const trace = { id: 't1', time: 1000, stackId: 'shop', client: '127.0.0.1', protocol: 'HTTP/1.1', method: 'GET', host: 'shop.test', path: '/?q=1', status: 200, upstream: 'web#1', durationMs: 10, traceId: TRACE_ID, spanId: PROXY_SPAN, cache: 'Aerie; fwd=miss', timings: { connectMs: 1, ttfbMs: 9, totalMs: 10 } } as Trace
    const timeline = buildTimeline(trace, { spans: [span('c'.repeat(16), SERVER_SPAN, 1004, 1006), span(SERVER_SPAN, PROXY_SPAN, 1001, 1009), span('d'.repeat(16), SERVER_SPAN, 1002, 1003), span('e'.repeat(16), 'f'.repeat(16), 1002, 1003)], logs: [] })
    expect(timeline.spans.map((s) => [s.source, s.spanId.slice(0, 4), s.depth])).toEqual([['proxy', PROXY_SPAN.slice(0, 4), 0], ['app', '1111', 1], ['app', 'dddd', 2], ['app', 'cccc', 2], ['app', 'eeee', 1]])
    expect(timeline.spans[0]).toMatchObject({ name: 'proxy GET /', startMs: 1000, endMs: 1010, attributes: { 'aerie.upstream': 'web#1', 'aerie.cache': 'Aerie; fwd=miss', 'aerie.connect_ms': 1 } })
    expect([timeline.startMs, timeline.endMs]).toEqual([1000, 1010])
  })

  it('places the hop around the app span when the engine logs whole seconds (nginx, Apache, Caddy)', () => {
    const trace = { id: 't2', time: 5000, stackId: 'shop', client: '', protocol: 'HTTP/1.1', method: 'GET', host: 'h', path: '/', status: 200, durationMs: 4, traceId: TRACE_ID, spanId: PROXY_SPAN, timings: { connectMs: 1, totalMs: 4 } } as Trace
    const { spans } = buildTimeline(trace, { spans: [span(SERVER_SPAN, PROXY_SPAN, 5400.5, 5402)], logs: [] })
    expect([spans[0].startMs, spans[0].endMs]).toEqual([5399.5, 5403.5])
  })
})
