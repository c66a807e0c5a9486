import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Trace } from '../../../contract.js'

const round = (ms: number) => Math.round(ms * 100) / 100

/** Header values longer than this are kept as they come (rarely repeated, and costly to hash). */
const INTERN_MAX_LENGTH = 512
/** Distinct values remembered; past this the table starts over (a bound, not an LRU). */
const INTERN_MAX_ENTRIES = 20_000
const interned = new Map<string, string>()

/**
 * One shared copy of each repeated header value (User-Agent, Accept, Content-Type, Date…):
 * the 50 000 traces kept in memory then hold references, not 50 000 copies, and the fresh
 * strings from the parser die young instead of being copied into the old generation.
 */
function intern(value: string): string {
  if (value.length > INTERN_MAX_LENGTH) return value
  const shared = interned.get(value)
  if (shared !== undefined) return shared
  if (interned.size >= INTERN_MAX_ENTRIES) interned.clear()
  interned.set(value, value)
  return value
}

/** Authorization keeps its scheme, cookies keep their names: enough to debug, nothing to steal. */
export function maskedHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders, showSecrets: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const raw = headers[name]
    if (raw === undefined || name.charCodeAt(0) === 58 /* ':' */) continue
    const value = Array.isArray(raw) ? raw.join(name === 'set-cookie' ? '\n' : ', ') : String(raw)
    if (showSecrets) out[name] = intern(value)
    else if (name === 'authorization' || name === 'proxy-authorization') out[name] = intern(value.replace(/^(\S+)\s+.*$/, '$1 ***'))
    else if (name === 'cookie') out[name] = intern(value.replace(/=([^;]*)/g, '=***'))
    else if (name === 'set-cookie') out[name] = intern(value.replace(/^([^=\n]+)=[^;\n]*/gm, '$1=***'))
    else out[name] = intern(value)
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

/**
 * Trace ids: a random 20-bit prefix per process (four base-36 digits, always four) and a counter in
 * base 36. Unique across engine and proxy restarts (the UI dedupes by id), and cheaper than a UUID:
 * an integer's base-36 digits cost a tenth of what a double's above 2^32 did.
 */
const ID_PREFIX = (randomBytes(3).readUIntBE(0, 3) % 0x100000).toString(36).padStart(4, '0')
let idCounter = 0

/** Collects one request's trace as it flows through the proxy. */
export class TraceRecorder {
  private readonly started = performance.now()
  readonly trace: Trace
  private done = false
  /** With proxy.traceBodies: what the exchange keeps of the bodies, put into the trace when it finishes. */
  bodies?: { request?: BodyCapture; response?: BodyCapture }

  constructor(start: TraceStart, private readonly emit: (t: Trace) => void) {
    // One object literal with every field, in one order: all traces share a hidden class (compact, fast to keep 50 000 of).
    this.trace = {
      id: ID_PREFIX + (++idCounter).toString(36),
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
      spanId: undefined,
      route: undefined,
      retries: undefined,
      error: undefined,
      tls: start.tls,
      requestBytes: 0,
      responseBytes: 0,
      timings: { tlsMs: start.tlsMs, connectMs: undefined, ttfbMs: undefined, totalMs: 0 },
      requestHeaders: start.requestHeaders,
      responseHeaders: undefined,
      cache: undefined,
      rewrite: undefined,
      requestBody: undefined,
      responseBody: undefined,
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
    if (responseHeaders) {
      this.trace.responseHeaders = responseHeaders
      if (responseHeaders['cache-status']) this.trace.cache = responseHeaders['cache-status']
    }
    if (error) this.trace.error = error
    if (this.bodies) {
      this.trace.requestBody = this.bodies.request?.result()
      this.trace.responseBody = this.bodies.response?.result()
    }
    this.emit(this.trace)
  }
}

/** Keeps the first `limit` bytes of a body as it streams by, for the trace. */
export class BodyCapture {
  private readonly chunks: Buffer[] = []
  private kept = 0
  private total = 0

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.total += chunk.length
    if (this.kept >= this.limit) return
    const part = chunk.length <= this.limit - this.kept ? chunk : chunk.subarray(0, this.limit - this.kept)
    // A copy: the chunk's memory may belong to a pool that is reused.
    this.chunks.push(Buffer.from(part))
    this.kept += part.length
  }

  /** As a trace holds it: text when the bytes are UTF-8, else base64; undefined for an empty body. */
  result(): NonNullable<Trace['requestBody']> | undefined {
    if (!this.total) return undefined
    const bytes = Buffer.concat(this.chunks)
    const text = new TextDecoder('utf-8', { fatal: true })
    let decoded: string | undefined
    try {
      // A cut can split a character: the tail of an incomplete sequence is not a reason to call it binary.
      decoded = text.decode(this.kept < this.total ? trimPartialUtf8(bytes) : bytes)
    } catch {
      decoded = undefined
    }
    return { text: decoded ?? bytes.toString('base64'), encoding: decoded === undefined ? 'base64' : 'utf8', bytes: this.total, truncated: this.kept < this.total }
  }
}

/** Drops an incomplete UTF-8 sequence at the end (at most 3 bytes). */
function trimPartialUtf8(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]
    if ((b & 0xc0) === 0x80) continue
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
    return need > back ? bytes.subarray(0, bytes.length - back) : bytes
  }
  return bytes
}
