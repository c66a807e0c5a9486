import v8 from 'node:v8'
import { describe, expect, it } from 'vitest'
import { TraceSchema, type Trace } from '../../../src-main/contract.js'
import { decodeTraces, traceIdIs, TraceEncoder, type TraceBatch } from '../../../src-main/core/telemetry/trace-wire.js'

const full: Trace = {
  id: 'k1', time: 1764690000000, stackId: 'shop', client: '127.0.0.1', protocol: 'HTTP/2', method: 'POST', host: 'shop.localhost', path: '/api/cart?x=1',
  status: 502, upstream: 'web#2', durationMs: 12.5, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), route: '/api → web', retries: 1, error: 'connect ECONNREFUSED',
  tls: 'TLSv1.3', requestBytes: 42, responseBytes: 0, timings: { tlsMs: 3.2, connectMs: 0.4, ttfbMs: 10, totalMs: 12.5 },
  requestHeaders: { 'content-type': 'application/json', cookie: 'a=***' }, responseHeaders: { 'cache-status': 'Aerie; fwd=miss' }, cache: 'Aerie; fwd=miss',
  requestBody: { text: '{"a":1}', encoding: 'utf8', bytes: 7, truncated: false }, responseBody: { text: 'AAE=', encoding: 'base64', bytes: 2, truncated: true },
  rewrite: { rule: 2, match: '^/old/(.*)', target: '/api/$1', redirect: 308 },
}
const bare: Trace = { id: 'k2', time: 1764690000001, stackId: 'shop', client: '::1', protocol: 'HTTP/1.1', method: 'GET', host: 'shop.localhost', path: '/', status: 200, durationMs: 0.8 }

describe('the proxy process trace wire format', () => {
  it('carries every field of a trace, and leaves absent ones absent', () => {
    const encoder = new TraceEncoder()
    for (const t of [full, bare, { ...full, id: 'k3', timings: { totalMs: 1 }, requestHeaders: {}, retries: 0, responseBytes: undefined }]) encoder.add(t)
    const [a, b, c] = decodeTraces(encoder.take()!)
    expect(a).toEqual(full)
    expect(b).toEqual(bare)
    expect(c).toEqual({ ...full, id: 'k3', timings: { totalMs: 1 }, requestHeaders: {}, retries: 0, responseBytes: undefined })
    expect(c.retries).toBe(0)
    // A field added to the schema must be carried: decoded traces have exactly the schema's keys.
    expect(Object.keys(a).sort()).toEqual(Object.keys(TraceSchema.shape).sort())
  })

  it('sends each repeated string once per batch, and starts over after take()', () => {
    const encoder = new TraceEncoder()
    // 500 traces outgrow the batch's first block of numbers: it grows, and nothing is lost.
    for (let i = 0; i < 500; i++) encoder.add({ ...full, id: `t${i}` })
    const batch = encoder.take()!
    expect(batch.count).toBe(500)
    // Numbers cross as one typed array: the structured clone copies its bytes, with no boxed number per field.
    expect(batch.values).toBeInstanceOf(Float64Array)
    expect(batch.strings.filter((s) => s === 'application/json')).toHaveLength(1)
    expect(decodeTraces(batch).map((t) => t.id)).toEqual(Array.from({ length: 500 }, (_, i) => `t${i}`))
    expect(encoder.take()).toBeUndefined()
    // Ids, trace ids and span ids cross as bytes, not as one string object each.
    expect(batch.strings).not.toContain('t7')
    expect(batch.strings).not.toContain(full.traceId)
    // As the IPC channel delivers it (v8's serializer, as `serialization: 'advanced'` uses), whole and searchable.
    const cloned = v8.deserialize(v8.serialize(batch)) as TraceBatch
    expect(decodeTraces(cloned)[499]).toEqual({ ...full, id: 't499' })
    expect(traceIdIs(cloned, 42, Buffer.from('t42'))).toBe(true)
    expect(traceIdIs(cloned, 42, Buffer.from('t4'))).toBe(false)
    expect(traceIdIs(cloned, 42, Buffer.from('t43'))).toBe(false)
    // A plain Uint8Array view (a structured clone's) is read the same.
    const plain = { ...cloned, text: new Uint8Array(cloned.text.buffer, cloned.text.byteOffset, cloned.text.byteLength) }
    expect(decodeTraces(plain)[7].id).toBe('t7')
    encoder.add(bare)
    expect(decodeTraces(encoder.take()!)).toEqual([bare])
  })
})
