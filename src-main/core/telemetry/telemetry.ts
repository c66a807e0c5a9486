import type { LogLine, Trace } from '../../contract.js'
import { Emitter } from '../util/emitter.js'
import { Batcher } from './batcher.js'
import { RingBuffer } from './ring-buffer.js'

/** Lines kept in memory across all processes (older ones drop off). */
export const LOG_BUFFER_LINES = 10_000
/** Requests kept in memory across all stacks. */
export const TRACE_BUFFER_SIZE = 50_000
/** Log lines and traces are pushed to faces at most this often, so a burst does not flood the UI. */
export const EVENT_BATCH_MS = 50

/** Log lines and request traces: bounded stores plus batched events. */
export class Telemetry {
  private readonly logs = new RingBuffer<LogLine>(LOG_BUFFER_LINES)
  private readonly traces = new RingBuffer<Trace>(TRACE_BUFFER_SIZE)
  private seq = 0
  private readonly logEmitter = new Emitter<LogLine[]>()
  private readonly traceEmitter = new Emitter<Trace[]>()
  readonly onLogLines = this.logEmitter.subscribe
  readonly onTraces = this.traceEmitter.subscribe
  private readonly logBatcher = new Batcher<LogLine>(EVENT_BATCH_MS, (b) => this.logEmitter.emit(b))
  private readonly traceBatcher = new Batcher<Trace>(EVENT_BATCH_MS, (b) => this.traceEmitter.emit(b))

  log(stackId: string, source: string, stream: LogLine['stream'], lines: string[]): void {
    const time = Date.now()
    for (const text of lines) {
      const line: LogLine = { seq: ++this.seq, time, stackId, source, stream, text }
      this.logs.push(line)
      this.logBatcher.add(line)
    }
  }

  trace(trace: Trace): void {
    this.traces.push(trace)
    this.traceBatcher.add(trace)
  }

  tailLogs(limit: number, stackId?: string): LogLine[] {
    return this.logs.tail(limit, (l) => !stackId || l.stackId === stackId)
  }

  tailTraces(limit: number, stackId?: string): Trace[] {
    return this.traces.tail(limit, (t) => !stackId || t.stackId === stackId)
  }

  flush(): void {
    this.logBatcher.flush()
    this.traceBatcher.flush()
  }
}
