import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Trace } from '../../../contract.js'

const round = (ms: number) => Math.round(ms * 100) / 100

/** Authorization keeps its scheme, cookies keep their names: enough to debug, nothing to steal. */
export function maskedHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders, showSecrets: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined || name.startsWith(':')) continue
    const value = Array.isArray(raw) ? raw.join(name === 'set-cookie' ? '\n' : ', ') : String(raw)
    if (showSecrets) out[name] = value
    else if (name === 'authorization' || name === 'proxy-authorization') out[name] = value.replace(/^(\S+)\s+.*$/, '$1 ***')
    else if (name === 'cookie') out[name] = value.replace(/=([^;]*)/g, '=***')
    else if (name === 'set-cookie') out[name] = value.replace(/^([^=\n]+)=[^;\n]*/gm, '$1=***')
    else out[name] = value
  }
  return out
}

/** Collects one request's trace as it flows through the proxy. */
export class TraceRecorder {
  private readonly started = performance.now()
  readonly trace: Trace
  private done = false

  constructor(init: Omit<Trace, 'id' | 'time' | 'status' | 'durationMs'>, private readonly emit: (t: Trace) => void) {
    this.trace = { id: randomUUID(), time: Date.now(), status: 0, durationMs: 0, requestBytes: 0, responseBytes: 0, ...init, timings: { totalMs: 0, ...init.timings } }
  }

  elapsed(): number {
    return round(performance.now() - this.started)
  }

  connected(): void {
    this.trace.timings!.connectMs = this.elapsed()
  }

  firstByte(): void {
    this.trace.timings!.ttfbMs = this.elapsed()
  }

  finish(status: number, responseHeaders?: Record<string, string>, error?: string): void {
    if (this.done) return
    this.done = true
    this.trace.status = status
    this.trace.durationMs = this.trace.timings!.totalMs = this.elapsed()
    if (responseHeaders) this.trace.responseHeaders = responseHeaders
    if (error) this.trace.error = error
    this.emit(this.trace)
  }
}
