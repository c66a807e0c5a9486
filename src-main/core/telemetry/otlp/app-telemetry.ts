import { decodeLogs, decodeSpans, type AppLog, type AppSpan, type OtlpSignal } from './otlp-decode.js'
import { holdsTraceId, indexExport } from './otlp-index.js'

/** Decoded traces kept in memory (oldest dropped first), and per trace at most this many spans and log records. */
export const APP_TRACES_KEPT = 10_000
export const PER_TRACE_KEPT = 500
/** Export requests kept whole (not decoded yet), at most this many bytes: the oldest go first, and with them the spans of their traces. */
export const RAW_BYTES_KEPT = 64 * 1024 * 1024

/**
 * An OTLP/protobuf export request kept as it came, with the trace ids of its records as one block
 * of bytes: decoded only when one of its traces' timeline is asked for. A busy app sends tens of
 * thousands of traces a second; kept this way they cost the engine two objects per request, not
 * an object and a string per trace that would each live long enough to reach the old generation.
 */
interface RawExport {
  /** Increasing: a decoded trace remembers the last one it has merged. */
  seq: number
  stackId: string
  signal: OtlpSignal
  /** Emptied when the request is dropped for RAW_BYTES_KEPT. */
  body: Buffer | undefined
  ids: Buffer
  /** Trace ids of its records that report an error. */
  errors: string[]
}

/** A trace's records decoded: sent as OTLP/JSON, or taken from the kept requests when its timeline was asked for. */
interface Entry {
  stackId: string
  spans: AppSpan[]
  logs: AppLog[]
  /** A span with status error, or a log record of severity error or worse. */
  error: boolean
  /** The seq of the last kept request merged into it. */
  merged: number
}

/** Counters for the doctor, the UI and the bench: what arrived, what was dropped for the bounds. */
export interface AppTelemetryStats {
  spans: number
  logs: number
  dropped: number
  /** Traces decoded so far (sent as JSON, or whose timeline was opened). */
  decodedTraces: number
  /** Export requests kept whole. */
  requestsKept: number
}

/** The apps' own spans and log records (OTLP), by trace id, bounded in memory. */
export class AppTelemetry {
  private readonly byTrace = new Map<string, Entry>()
  /** Trace ids in arrival order, from `oldest` on. */
  private order: string[] = []
  private oldest = 0
  private readonly raws: RawExport[] = []
  private rawBytes = 0
  private seq = 0
  /** Trace ids that a kept request reports an error for, oldest first, with that request. */
  private readonly rawErrors = new Map<string, RawExport>()
  private readonly counts = { spans: 0, logs: 0, dropped: 0 }

  constructor(
    private readonly tracesKept = APP_TRACES_KEPT,
    private readonly rawBytesKept = RAW_BYTES_KEPT,
  ) {}

  private entry(stackId: string, traceId: string): Entry {
    let e = this.byTrace.get(traceId)
    if (!e) {
      e = { stackId, spans: [], logs: [], error: false, merged: 0 }
      this.byTrace.set(traceId, e)
      this.order.push(traceId)
      // The oldest trace goes first. (Not the Map's first key: after many deletes, finding it walks their holes.)
      if (this.byTrace.size > this.tracesKept) {
        this.byTrace.delete(this.order[this.oldest++])
        if (this.oldest >= this.tracesKept) {
          this.order = this.order.slice(this.oldest)
          this.oldest = 0
        }
      }
    }
    return e
  }

  /**
   * An OTLP/protobuf export request, indexed by its trace ids (a walk over its bytes; throws on
   * bytes that are not protobuf) and kept whole; timeline() decodes it when it is asked for.
   */
  addExport(stackId: string, signal: OtlpSignal, body: Buffer): void {
    const index = indexExport(body, signal)
    const raw: RawExport = { seq: ++this.seq, stackId, signal, body, ids: index.ids, errors: index.errors }
    this.raws.push(raw)
    this.rawBytes += body.length + index.ids.length
    while (this.rawBytes > this.rawBytesKept && this.raws.length > 1) this.drop(this.raws.shift()!)
    for (const id of index.errors) {
      this.rawErrors.delete(id)
      this.rawErrors.set(id, raw)
    }
    const kept = index.items - index.withoutTrace
    if (signal === 'traces') this.counts.spans += kept
    else this.counts.logs += kept
    this.counts.dropped += index.withoutTrace
  }

  private drop(raw: RawExport): void {
    this.rawBytes -= raw.body!.length + raw.ids.length
    raw.body = undefined
    for (const id of raw.errors) if (this.rawErrors.get(id) === raw) this.rawErrors.delete(id)
  }

  addSpans(stackId: string, spans: AppSpan[]): void {
    for (const s of spans) {
      const e = this.entry(stackId, s.traceId)
      if (e.spans.length >= PER_TRACE_KEPT) {
        this.counts.dropped++
        continue
      }
      e.spans.push(s)
      if (s.status.code === 2) e.error = true
      this.counts.spans++
    }
  }

  /** Log records without a trace id belong to no request: they are counted and not kept (the process's output has them). */
  addLogs(stackId: string, logs: AppLog[]): void {
    for (const l of logs) {
      if (!l.traceId) {
        this.counts.dropped++
        continue
      }
      const e = this.entry(stackId, l.traceId)
      if (e.logs.length >= PER_TRACE_KEPT) {
        this.counts.dropped++
        continue
      }
      e.logs.push(l)
      if (l.severity >= 17) e.error = true
      this.counts.logs++
    }
  }

  /** The app's spans (by start time) and log records (by time) of one trace. */
  timeline(traceId: string): { spans: AppSpan[]; logs: AppLog[] } {
    let e = this.byTrace.get(traceId)
    // Kept requests that hold this trace and are not merged yet are decoded now, once: their records join the decoded ones.
    if (/^[0-9a-f]{32}$/.test(traceId)) {
      const needle = Buffer.from(traceId, 'hex')
      for (const raw of this.raws) {
        if (raw.seq <= (e?.merged ?? 0) || !raw.body || !holdsTraceId(raw.ids, needle)) continue
        e ??= this.entry(raw.stackId, traceId)
        if (raw.signal === 'traces') {
          for (const s of decodeSpans(raw.body, 'protobuf')) if (s.traceId === traceId && e.spans.length < PER_TRACE_KEPT) e.spans.push(s)
        } else {
          for (const l of decodeLogs(raw.body, 'protobuf')) if (l.traceId === traceId && e.logs.length < PER_TRACE_KEPT) e.logs.push(l)
        }
      }
      if (e) e.merged = this.seq
    }
    if (!e) return { spans: [], logs: [] }
    return { spans: [...e.spans].sort((a, b) => a.startMs - b.startMs), logs: [...e.logs].sort((a, b) => a.timeMs - b.timeMs) }
  }

  /** Trace ids whose app spans or logs report an error, newest last. */
  errorTraces(stackId?: string): string[] {
    const out = new Set<string>()
    for (const [id, e] of this.byTrace) if (e.error && (!stackId || e.stackId === stackId)) out.add(id)
    for (const [id, raw] of this.rawErrors) if (!stackId || raw.stackId === stackId) out.add(id)
    return [...out]
  }

  stats(): AppTelemetryStats {
    return { ...this.counts, decodedTraces: this.byTrace.size, requestsKept: this.raws.length }
  }
}
