import { decodeLogs, decodeSpans, type AppLog, type AppSpan, type OtlpSignal } from './otlp-decode.js'
import { indexExport } from './otlp-index.js'

/** Traces of the apps kept in memory (oldest dropped first), and per trace at most this many spans and log records. */
export const APP_TRACES_KEPT = 10_000
export const PER_TRACE_KEPT = 500
/** Export requests kept whole (not decoded yet), at most this many bytes: the oldest go first, and with them the spans of their traces. */
export const RAW_BYTES_KEPT = 64 * 1024 * 1024

/** An OTLP/protobuf export request kept as it came: decoded only when one of its traces' timeline is asked for. */
interface RawExport {
  signal: OtlpSignal
  /** Emptied when the request is dropped for RAW_BYTES_KEPT. */
  body: Buffer | undefined
}

interface Entry {
  stackId: string
  spans: AppSpan[]
  logs: AppLog[]
  /** Export requests that hold spans or records of this trace, not decoded yet. */
  raw: RawExport[]
  /** A span with status error, or a log record of severity error or worse. */
  error: boolean
}

/** Counters for the doctor, the UI and the bench: what arrived, what was dropped for the bounds. */
export interface AppTelemetryStats {
  spans: number
  logs: number
  dropped: number
  traces: number
}

/** The apps' own spans and log records (OTLP), grouped by trace id, bounded in memory. */
export class AppTelemetry {
  private readonly byTrace = new Map<string, Entry>()
  /** Trace ids in arrival order, from `oldest` on. */
  private order: string[] = []
  private oldest = 0
  private readonly raws: RawExport[] = []
  private rawBytes = 0
  private readonly counts = { spans: 0, logs: 0, dropped: 0 }

  constructor(
    private readonly tracesKept = APP_TRACES_KEPT,
    private readonly rawBytesKept = RAW_BYTES_KEPT,
  ) {}

  private entry(stackId: string, traceId: string): Entry {
    let e = this.byTrace.get(traceId)
    if (!e) {
      e = { stackId, spans: [], logs: [], raw: [], error: false }
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
    const raw: RawExport = { signal, body }
    this.raws.push(raw)
    this.rawBytes += body.length
    while (this.rawBytes > this.rawBytesKept && this.raws.length > 1) {
      const dropped = this.raws.shift()!
      this.rawBytes -= dropped.body!.length
      dropped.body = undefined
    }
    for (const [traceId, error] of index.traces) {
      const e = this.entry(stackId, traceId)
      e.raw.push(raw)
      if (error) e.error = true
    }
    const kept = index.items - index.withoutTrace
    if (signal === 'traces') this.counts.spans += kept
    else this.counts.logs += kept
    this.counts.dropped += index.withoutTrace
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
    const e = this.byTrace.get(traceId)
    if (!e) return { spans: [], logs: [] }
    // Requests kept whole are decoded now, once: their records of this trace join the decoded ones.
    for (const raw of e.raw.splice(0)) {
      if (!raw.body) continue
      if (raw.signal === 'traces') {
        for (const s of decodeSpans(raw.body, 'protobuf')) if (s.traceId === traceId && e.spans.length < PER_TRACE_KEPT) e.spans.push(s)
      } else {
        for (const l of decodeLogs(raw.body, 'protobuf')) if (l.traceId === traceId && e.logs.length < PER_TRACE_KEPT) e.logs.push(l)
      }
    }
    return { spans: [...e.spans].sort((a, b) => a.startMs - b.startMs), logs: [...e.logs].sort((a, b) => a.timeMs - b.timeMs) }
  }

  /** Trace ids whose app spans or logs report an error, newest last. */
  errorTraces(stackId?: string): string[] {
    const out: string[] = []
    for (const [id, e] of this.byTrace) if (e.error && (!stackId || e.stackId === stackId)) out.push(id)
    return out
  }

  stats(): AppTelemetryStats {
    return { ...this.counts, traces: this.byTrace.size }
  }
}
