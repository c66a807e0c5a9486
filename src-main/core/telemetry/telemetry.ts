import type { LogLine, Trace } from '../../contract.js'
import { Emitter } from '../util/emitter.js'
import { Batcher } from './batcher.js'
import { RingBuffer } from './ring-buffer.js'
import { TraceStore } from './trace-store.js'
import { decodeTraces, type TraceBatch } from './trace-wire.js'

/** Lines kept in memory across all processes by default (older ones drop off; AERIE_LOG_BUFFER_LINES or `aerie serve --log-buffer` sets it). */
export const LOG_BUFFER_LINES = 10_000
export const MAX_LOG_BUFFER_LINES = 1_000_000
/** Requests kept in memory across all stacks. */
export const TRACE_BUFFER_SIZE = 50_000
/** Log lines and traces are pushed to faces at most this often, so a burst does not flood the UI. */
export const EVENT_BATCH_MS = 50

/** Traces whose recorded bodies (proxy.traceBodies) are kept; older ones keep their other fields. */
export const TRACE_BODIES_KEPT = 1_000

/** Log lines and request traces: bounded stores plus batched events. */
export class Telemetry {
  private readonly logs: RingBuffer<LogLine>
  private readonly traces = new TraceStore(TRACE_BUFFER_SIZE, TRACE_BODIES_KEPT)
  private seq = 0
  private readonly logEmitter = new Emitter<LogLine[]>()
  private readonly traceEmitter = new Emitter<Trace[]>()
  /** Whether anyone reads the pushed traces now (a face is connected): if not, a batch is stored and not decoded. */
  private tracesWanted: () => boolean = () => this.traceEmitter.hasListeners
  readonly onLogLines = this.logEmitter.subscribe
  readonly onTraces = this.traceEmitter.subscribe
  private readonly logBatcher = new Batcher<LogLine>(EVENT_BATCH_MS, (b) => this.logEmitter.emit(b))
  private readonly traceBatcher = new Batcher<Trace>(EVENT_BATCH_MS, (b) => this.traceEmitter.emit(b))

  constructor(readonly logBufferLines = LOG_BUFFER_LINES) {
    if (!Number.isInteger(logBufferLines) || logBufferLines < 100 || logBufferLines > MAX_LOG_BUFFER_LINES) throw new Error(`the log buffer holds 100 to ${MAX_LOG_BUFFER_LINES} lines, not ${logBufferLines}`)
    this.logs = new RingBuffer<LogLine>(logBufferLines)
  }

  log(stackId: string, source: string, stream: LogLine['stream'], lines: string[]): void {
    const time = Date.now()
    for (const text of lines) {
      const line: LogLine = { seq: ++this.seq, time, stackId, source, stream, text }
      this.logs.push(line)
      this.logBatcher.add(line)
    }
  }

  trace(trace: Trace): void {
    this.traces.add(trace)
    if (this.tracesWanted()) this.traceBatcher.add(trace)
  }

  /** The built-in proxy's traces, as they crossed from its process. */
  traceBatch(batch: TraceBatch): void {
    this.traces.addBatch(batch)
    if (this.tracesWanted()) for (const t of decodeTraces(batch)) this.traceBatcher.add(t)
  }

  /** Pushed traces are decoded only while `wanted` says someone reads them (the engine: while a face listens). */
  pushTracesWhen(wanted: () => boolean): void {
    this.tracesWanted = wanted
  }

  tailLogs(limit: number, stackId?: string, afterSeq = 0): LogLine[] {
    return this.logs.tail(limit, (l) => l.seq > afterSeq && (!stackId || l.stackId === stackId))
  }

  findTrace(id: string): Trace | undefined {
    return this.traces.find(id)
  }

  tailTraces(limit: number, stackId?: string): Trace[] {
    return this.traces.tail(limit, stackId)
  }

  flush(): void {
    this.logBatcher.flush()
    this.traceBatcher.flush()
  }
}
