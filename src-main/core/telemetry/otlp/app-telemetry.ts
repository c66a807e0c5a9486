import type { AppLog, AppSpan } from './otlp-decode.js'

/** Traces of the apps kept in memory (oldest dropped first), and per trace at most this many spans and log records. */
export const APP_TRACES_KEPT = 10_000
export const PER_TRACE_KEPT = 500

interface Entry {
  stackId: string
  spans: AppSpan[]
  logs: AppLog[]
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
  private readonly counts = { spans: 0, logs: 0, dropped: 0 }

  constructor(private readonly tracesKept = APP_TRACES_KEPT) {}

  private entry(stackId: string, traceId: string): Entry {
    let e = this.byTrace.get(traceId)
    if (!e) {
      e = { stackId, spans: [], logs: [], error: false }
      this.byTrace.set(traceId, e)
      // A Map iterates in insertion order: the first key is the oldest trace.
      if (this.byTrace.size > this.tracesKept) this.byTrace.delete(this.byTrace.keys().next().value!)
    }
    return e
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
