import type { Trace } from '../../contract.js'

/**
 * How traces cross from the proxy process to the engine: one Float64Array of numbers and string-table
 * indices per batch, written as each request finishes. A repeated string (header names and values,
 * host, route) crosses once per batch; the structured clone copies the numbers as one block of bytes
 * (no boxed number per field, nothing for either side's garbage collector to trace), and the engine
 * rebuilds each trace as one object literal (one hidden class for all). An absent number is NaN, an
 * absent string -1. The fields are written out one by one: a loop over field names was slower than what it saved.
 */
export interface TraceBatch {
  strings: string[]
  values: Float64Array
  /**
   * The strings unique to one request (its id, trace id and span id: ASCII), as bytes: in `values`,
   * their offset here and their length. As string objects they were three per trace that each side
   * kept alive, the proxy's young collections copying them until the batch went, the engine's old
   * generation holding 150,000 of them for 50,000 kept traces.
   */
  text: Uint8Array
  /** Where each trace's numbers start in `values`: one trace is read without the ones before it. */
  starts: Uint32Array
  /** Rare object fields (bodies, rewrite), by the trace's index in the batch. */
  extras: Record<number, Pick<Trace, 'requestBody' | 'responseBody' | 'rewrite'>>
  count: number
}

/** Numbers a batch starts with room for (a 1 KiB GET takes about 40): it doubles when full. */
const INITIAL_VALUES = 8192
/** Bytes of per-request strings a batch starts with room for (a trace takes about 60): it doubles when full. */
const INITIAL_TEXT = 16384

export class TraceEncoder {
  private strings: string[] = []
  private table = new Map<string, number>()
  private values = new Float64Array(INITIAL_VALUES)
  private length = 0
  private text = Buffer.allocUnsafe(INITIAL_TEXT)
  private textLength = 0
  private starts: number[] = []
  private extras: TraceBatch['extras'] = {}
  private count = 0

  private n(value: number | undefined): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.length++] = value ?? NaN
  }

  private s(value: string | undefined): void {
    if (value === undefined) return this.n(-1)
    let index = this.table.get(value)
    if (index === undefined) {
      index = this.strings.push(value) - 1
      this.table.set(value, index)
    }
    this.n(index)
  }

  /** An ASCII string seen once per request (ids): no table lookup (it would never be found), its bytes into `text`. */
  private unique(value: string | undefined): void {
    if (value === undefined) {
      this.n(-1)
      return this.n(0)
    }
    if (this.textLength + value.length > this.text.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.text.length * 2, this.textLength + value.length))
      this.text.copy(grown, 0, 0, this.textLength)
      this.text = grown
    }
    this.n(this.textLength)
    this.n(value.length)
    this.textLength += this.text.write(value, this.textLength, 'latin1')
  }

  private headers(headers: Record<string, string> | undefined): void {
    if (!headers) return this.n(-1)
    const at = this.length
    this.n(0)
    let count = 0
    for (const name in headers) {
      this.s(name)
      this.s(headers[name])
      count++
    }
    this.values[at] = count
  }

  /** Traces added since the last take(). */
  get size(): number {
    return this.count
  }

  add(t: Trace): void {
    this.starts.push(this.length)
    this.unique(t.id); this.n(t.time); this.s(t.stackId); this.s(t.client); this.s(t.protocol); this.s(t.method); this.s(t.host); this.s(t.path); this.n(t.status)
    this.s(t.upstream); this.n(t.durationMs); this.unique(t.traceId); this.unique(t.spanId); this.s(t.route); this.n(t.retries); this.s(t.error); this.s(t.tls)
    this.n(t.requestBytes); this.n(t.responseBytes); this.s(t.cache)
    const tm = t.timings
    if (tm) {
      this.n(1); this.n(tm.tlsMs); this.n(tm.connectMs); this.n(tm.ttfbMs); this.n(tm.totalMs)
    } else this.n(-1)
    this.headers(t.requestHeaders)
    this.headers(t.responseHeaders)
    if (t.requestBody || t.responseBody || t.rewrite) this.extras[this.count] = { requestBody: t.requestBody, responseBody: t.responseBody, rewrite: t.rewrite }
    this.count++
  }

  /** The batch so far, and a fresh start; undefined when nothing was added. */
  take(): TraceBatch | undefined {
    if (!this.count) return undefined
    // A view of the numbers written: the structured clone copies only those.
    const batch = { strings: this.strings, values: this.values.subarray(0, this.length), text: this.text.subarray(0, this.textLength), starts: Uint32Array.from(this.starts), extras: this.extras, count: this.count }
    this.starts = []
    this.text = Buffer.allocUnsafe(INITIAL_TEXT)
    this.textLength = 0
    this.strings = []
    this.table = new Map()
    this.values = new Float64Array(INITIAL_VALUES)
    this.length = 0
    this.extras = {}
    this.count = 0
    return batch
  }
}

/** A batch's `text` as a Buffer (a structured clone delivers a plain Uint8Array), made once per batch. */
const textViews = new WeakMap<TraceBatch, Buffer>()
function textOf(batch: TraceBatch): Buffer {
  let view = textViews.get(batch)
  if (!view) textViews.set(batch, (view = Buffer.from(batch.text.buffer, batch.text.byteOffset, batch.text.byteLength)))
  return view
}

/** A per-request string of the batch (see TraceBatch.text), from its offset and length. */
function uniqueAt(batch: TraceBatch, at: number, length: number): string | undefined {
  return at < 0 ? undefined : textOf(batch).toString('latin1', at, at + length)
}

/** Whether the batch's trace `k` has the id whose bytes are `id` (its first field: offset and length), compared without decoding anything. */
export function traceIdIs(batch: TraceBatch, k: number, id: Buffer): boolean {
  const at = batch.values[batch.starts[k]]
  const length = batch.values[batch.starts[k] + 1]
  return length === id.length && id.compare(textOf(batch), at, at + length) === 0
}
/** The stack of the batch's trace `k` (the field after the id and the time). */
export const stackIdOf = (batch: TraceBatch, k: number): string => batch.strings[batch.values[batch.starts[k] + 3]]

/** The batch's trace `k`, as one object literal (the same fields in the same order as TraceRecorder builds them). */
export function decodeTrace(batch: TraceBatch, k: number): Trace {
  const { strings, values, extras } = batch
  let i = batch.starts[k]
  const s = (): string | undefined => {
    const index = values[i++]
    return index < 0 ? undefined : strings[index]
  }
  const n = (): number | undefined => {
    const value = values[i++]
    return value === value ? value : undefined
  }
  const unique = (): string | undefined => {
    const at = values[i++]
    return uniqueAt(batch, at, values[i++])
  }
  const headers = (): Record<string, string> | undefined => {
    const count = values[i++]
    if (count < 0) return undefined
    const out: Record<string, string> = {}
    for (let h = 0; h < count; h++) {
      const name = s()!
      out[name] = s()!
    }
    return out
  }
  const id = unique()!, time = n()!, stackId = s()!, client = s()!, protocol = s()!, method = s()!, host = s()!, path = s()!, status = n()!
  const upstream = s(), durationMs = n()!, traceId = unique(), spanId = unique(), route = s(), retries = n(), error = s(), tls = s()
  const requestBytes = n(), responseBytes = n(), cache = s()
  const timings = values[i++] < 0 ? undefined : { tlsMs: n(), connectMs: n(), ttfbMs: n(), totalMs: n()! }
  const requestHeaders = headers()
  const responseHeaders = headers()
  const extra = extras[k]
  return {
    id, time, stackId, client, protocol, method, host, path, status, upstream, durationMs, traceId, spanId, route, retries, error, tls,
    requestBytes, responseBytes, timings, requestHeaders, responseHeaders, cache,
    rewrite: extra?.rewrite, requestBody: extra?.requestBody, responseBody: extra?.responseBody,
  }
}

export function decodeTraces(batch: TraceBatch): Trace[] {
  const traces: Trace[] = new Array(batch.count)
  for (let k = 0; k < batch.count; k++) traces[k] = decodeTrace(batch, k)
  return traces
}
