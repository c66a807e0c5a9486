import { describe, expect, it } from 'vitest'
import type { Trace } from '../../../src-main/contract.js'
import { TraceStore } from '../../../src-main/core/telemetry/trace-store.js'
import { TraceEncoder } from '../../../src-main/core/telemetry/trace-wire.js'

const trace = (n: number, stackId = n % 2 ? 'odd' : 'even', extra: Partial<Trace> = {}): Trace => ({
  id: `t${n}`, time: 1764690000000 + n, stackId, client: '127.0.0.1', protocol: 'HTTP/1.1', method: 'GET', host: 'h', path: `/${n}`, status: 200, durationMs: 1,
  requestHeaders: { host: 'h' }, ...extra,
})
const batchOf = (traces: Trace[]) => {
  const encoder = new TraceEncoder()
  for (const t of traces) encoder.add(t)
  return encoder.take()!
}
const ids = (traces: Trace[]) => traces.map((t) => t.id)

describe('the engine’s trace store (wire batches, decoded when read)', () => {
  it('keeps the newest `capacity` traces in arrival order, one at a time and in batches alike', () => {
    const store = new TraceStore(5, 10)
    store.add(trace(1))
    store.addBatch(batchOf([trace(2), trace(3), trace(4)]))
    store.add(trace(5))
    store.add(trace(6))
    store.addBatch(batchOf([trace(7)]))
    expect(ids(store.tail(100))).toEqual(['t3', 't4', 't5', 't6', 't7'])
    expect(store.size).toBe(5)
    expect(ids(store.tail(2))).toEqual(['t6', 't7'])
    expect(ids(store.tail(100, 'odd'))).toEqual(['t3', 't5', 't7'])
    expect(store.find('t4')).toEqual(trace(4))
    // Gone past the bound, though its batch is still held for t3 and t4.
    expect(store.find('t2')).toBeUndefined()
    expect(store.find('nope')).toBeUndefined()
  })

  it('drops the oldest batches as new ones come, and keeps bodies for the newest traces only', () => {
    const store = new TraceStore(1000, 2)
    const body = { text: 'x', encoding: 'utf8' as const, bytes: 1, truncated: false }
    for (let b = 0; b < 10; b++) store.addBatch(batchOf(Array.from({ length: 300 }, (_, k) => trace(b * 300 + k, 'even', k === 0 ? { requestBody: body } : {}))))
    const kept = store.tail(5000)
    expect(kept).toHaveLength(1000)
    expect(kept.at(-1)!.id).toBe('t2999')
    expect(kept.filter((t) => t.requestBody).map((t) => t.id)).toEqual(['t2400', 't2700'])
    expect(store.find('t2100')!.requestBody).toBeUndefined()
  })
})
