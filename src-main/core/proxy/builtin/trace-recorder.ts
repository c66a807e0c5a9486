import { randomBytes } from 'node:crypto'
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

/** What a trace starts with: known when the request arrives. */
export interface TraceStart {
  stackId: string
  client: string
  protocol: string
  tls?: string
  tlsMs?: number
  method: string
  host: string
  path: string
  requestHeaders: Record<string, string>
}

/** Trace ids: a random prefix per process and a counter (unique, and cheaper than a UUID per request). */
const ID_PREFIX = randomBytes(6).toString('hex')
let idCounter = 0

/** Collects one request's trace as it flows through the proxy. */
export class TraceRecorder {
  private readonly started = performance.now()
  readonly trace: Trace
  private done = false

  constructor(start: TraceStart, private readonly emit: (t: Trace) => void) {
    // One object literal with every field, in one order: all traces share a hidden class (compact, fast to keep 50 000 of).
    this.trace = {
      id: `${ID_PREFIX}-${(++idCounter).toString(36)}`,
      time: Date.now(),
      stackId: start.stackId,
      client: start.client,
      protocol: start.protocol,
      method: start.method,
      host: start.host,
      path: start.path,
      status: 0,
      upstream: undefined,
      durationMs: 0,
      traceId: undefined,
      error: undefined,
      tls: start.tls,
      requestBytes: 0,
      responseBytes: 0,
      timings: { tlsMs: start.tlsMs, connectMs: undefined, ttfbMs: undefined, totalMs: 0 },
      requestHeaders: start.requestHeaders,
      responseHeaders: undefined,
    }
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
