import type { Trace } from '../../../../contract.js'

/**
 * How traces cross from the proxy process to the engine: one flat array of numbers and string-table
 * indices per batch, written as each request finishes. A repeated string (header names and values,
 * host, route) crosses once per batch, the structured clone copies one array instead of some thirty
 * objects per trace, and the engine rebuilds each trace as one object literal (one hidden class for
 * all). The fields are written out one by one: a loop over field names was slower than what it saved.
 */
export interface TraceBatch {
  strings: string[]
  values: (number | null)[]
  /** Rare object fields (bodies, rewrite), by the trace's index in the batch. */
  extras: Record<number, Pick<Trace, 'requestBody' | 'responseBody' | 'rewrite'>>
  count: number
}

export class TraceEncoder {
  private strings: string[] = []
  private table = new Map<string, number>()
  private values: (number | null)[] = []
  private extras: TraceBatch['extras'] = {}
  private count = 0

  private s(value: string | undefined): number | null {
    if (value === undefined) return null
    let index = this.table.get(value)
    if (index === undefined) {
      index = this.strings.push(value) - 1
      this.table.set(value, index)
    }
    return index
  }

  private headers(headers: Record<string, string> | undefined): void {
    const v = this.values
    if (!headers) {
      v.push(null)
      return
    }
    const at = v.push(0) - 1
    let n = 0
    for (const name in headers) {
      v.push(this.s(name), this.s(headers[name]))
      n++
    }
    v[at] = n
  }

  add(t: Trace): void {
    const v = this.values
    v.push(this.s(t.id), t.time, this.s(t.stackId), this.s(t.client), this.s(t.protocol), this.s(t.method), this.s(t.host), this.s(t.path), t.status)
    v.push(this.s(t.upstream), t.durationMs, this.s(t.traceId), this.s(t.spanId), this.s(t.route), t.retries ?? null, this.s(t.error), this.s(t.tls))
    v.push(t.requestBytes ?? null, t.responseBytes ?? null, this.s(t.cache))
    const tm = t.timings
    if (tm) v.push(1, tm.tlsMs ?? null, tm.connectMs ?? null, tm.ttfbMs ?? null, tm.totalMs)
    else v.push(null)
    this.headers(t.requestHeaders)
    this.headers(t.responseHeaders)
    if (t.requestBody || t.responseBody || t.rewrite) this.extras[this.count] = { requestBody: t.requestBody, responseBody: t.responseBody, rewrite: t.rewrite }
    this.count++
  }

  /** The batch so far, and a fresh start; undefined when nothing was added. */
  take(): TraceBatch | undefined {
    if (!this.count) return undefined
    const batch = { strings: this.strings, values: this.values, extras: this.extras, count: this.count }
    this.strings = []
    this.table = new Map()
    this.values = []
    this.extras = {}
    this.count = 0
    return batch
  }
}

export function decodeTraces(batch: TraceBatch): Trace[] {
  const { strings, values, extras } = batch
  let i = 0
  const s = (): string | undefined => {
    const index = values[i++]
    return index === null ? undefined : strings[index]
  }
  const n = (): number | undefined => values[i++] ?? undefined
  const headers = (): Record<string, string> | undefined => {
    const count = values[i++]
    if (count === null) return undefined
    const out: Record<string, string> = {}
    for (let h = 0; h < count; h++) {
      const name = s()!
      out[name] = s()!
    }
    return out
  }
  const traces: Trace[] = new Array(batch.count)
  for (let k = 0; k < batch.count; k++) {
    const id = s()!, time = n()!, stackId = s()!, client = s()!, protocol = s()!, method = s()!, host = s()!, path = s()!, status = n()!
    const upstream = s(), durationMs = n()!, traceId = s(), spanId = s(), route = s(), retries = n(), error = s(), tls = s()
    const requestBytes = n(), responseBytes = n(), cache = s()
    const timings = values[i++] === null ? undefined : { tlsMs: n(), connectMs: n(), ttfbMs: n(), totalMs: n()! }
    const requestHeaders = headers()
    const responseHeaders = headers()
    const extra = extras[k]
    // The same fields in the same order as TraceRecorder builds them.
    traces[k] = {
      id, time, stackId, client, protocol, method, host, path, status, upstream, durationMs, traceId, spanId, route, retries, error, tls,
      requestBytes, responseBytes, timings, requestHeaders, responseHeaders, cache,
      rewrite: extra?.rewrite, requestBody: extra?.requestBody, responseBody: extra?.responseBody,
    }
  }
  return traces
}
