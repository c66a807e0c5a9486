import http from 'node:http'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppTelemetry } from '../../src-main/core/telemetry/otlp/app-telemetry.js'
import { encodeTraceRequest } from '../../src-main/core/telemetry/otlp/otlp-decode.js'
import { OTLP_KEY_HEADER, OTLP_MAX_BODY, OtlpReceiver } from '../../src-main/core/telemetry/otlp/otlp-receiver.js'

const TRACE_ID = 'a'.repeat(32)
const request = encodeTraceRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(TRACE_ID, 'hex').toString('base64'), spanId: Buffer.from('b'.repeat(16), 'hex').toString('base64'), name: 'GET /' }] }] }] })

describe('the OTLP receiver', () => {
  const store = new AppTelemetry()
  const errors: string[] = []
  const receiver = new OtlpReceiver(store, (m) => errors.push(m))
  let key: string
  const post = (path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string; type?: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${receiver.endpoint}${path}`, { method: 'POST', headers: { 'content-length': String(body.length), ...headers }, agent: false }, (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['content-type'] }))
      })
      req.on('error', reject)
      req.end(body)
    })

  beforeAll(async () => {
    await receiver.start()
    key = receiver.keyFor('shop')
  })
  afterAll(() => receiver.stop())

  it('listens on loopback only, and takes protobuf from a stack with its key (an empty protobuf response: full success)', async () => {
    expect(receiver.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await post('/v1/traces', request, { 'content-type': 'application/x-protobuf', [OTLP_KEY_HEADER]: key })
    expect(res).toEqual({ status: 200, body: '', type: 'application/x-protobuf' })
    expect(store.timeline(TRACE_ID).spans.map((s) => s.name)).toEqual(['GET /'])
    expect(receiver.keyFor('shop')).toBe(key)
    expect(receiver.keyFor('other')).not.toBe(key)
  })

  it('takes gzip and JSON', async () => {
    expect((await post('/v1/traces', zlib.gzipSync(request), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', [OTLP_KEY_HEADER]: key })).status).toBe(200)
    const json = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1', severityNumber: 17, body: { stringValue: 'failed' }, traceId: TRACE_ID }] }] }] }
    expect(await post('/v1/logs', Buffer.from(JSON.stringify(json)), { 'content-type': 'application/json', [OTLP_KEY_HEADER]: key })).toMatchObject({ status: 200, body: '{}' })
    expect(store.timeline(TRACE_ID).logs.map((l) => l.body)).toEqual(['failed'])
    expect(store.errorTraces('shop')).toEqual([TRACE_ID])
  })

  it('refuses a missing or unknown key, another media type, another path, a malformed body and an oversized one, and stores none of them', async () => {
    const before = store.stats()
    expect((await post('/v1/traces', request, { 'content-type': 'application/x-protobuf' })).status).toBe(401)
    expect((await post('/v1/traces', request, { 'content-type': 'application/x-protobuf', [OTLP_KEY_HEADER]: 'guess' })).status).toBe(401)
    expect((await post('/v1/traces', request, { 'content-type': 'text/plain', [OTLP_KEY_HEADER]: key })).status).toBe(415)
    expect((await post('/v1/metrics', request, { 'content-type': 'application/x-protobuf', [OTLP_KEY_HEADER]: key })).status).toBe(404)
    const bad = await post('/v1/traces', Buffer.from([0x0a, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf', [OTLP_KEY_HEADER]: key })
    expect(bad.status).toBe(400)
    expect(errors.at(-1)).toMatch(/^OTLP traces from stack shop refused: /)
    const big = await post('/v1/traces', Buffer.alloc(OTLP_MAX_BODY + 1), { 'content-type': 'application/x-protobuf', [OTLP_KEY_HEADER]: key }).catch((e: Error) => ({ status: -1, body: e.message }))
    expect(big.status).toBe(413)
    expect(store.stats()).toEqual(before)
  })
})
