import type { Trace } from '../../contract.js'
import { decodeTrace, stackIdOf, traceIdIs, TraceEncoder, type TraceBatch } from './trace-wire.js'

/** Traces that arrive one at a time (the real proxies' logs) are packed into batches of this many. */
const OPEN_BATCH_TRACES = 512

/**
 * The newest requests' traces, kept as the wire batches they arrived in (trace-wire.ts: numbers
 * and string indices) and decoded when they are read. 50,000 traces kept as objects were 200,000
 * objects (the trace, its timings, its two header sets) that each lived long enough to reach the
 * old generation; at 10,000 requests a second that churn cost the engine about 3 µs per trace in
 * garbage collection, where a batch is a few objects for hundreds of traces.
 *
 * At least `capacity` traces are kept: a batch goes when the newer ones hold `capacity` without it.
 */
export class TraceStore {
  private readonly batches: TraceBatch[] = []
  private total = 0
  /** Traces handed over one at a time, not yet sealed into a batch. */
  private readonly open = new TraceEncoder()
  /** The extras (bodies) of traces that hold bodies, oldest first, so that only the newest `bodiesKept` keep them. */
  private readonly withBodies: NonNullable<TraceBatch['extras'][number]>[] = []

  constructor(
    readonly capacity: number,
    private readonly bodiesKept: number,
  ) {}

  get size(): number {
    return Math.min(this.total + this.open.size, this.capacity)
  }

  add(trace: Trace): void {
    this.open.add(trace)
    if (this.open.size >= OPEN_BATCH_TRACES) this.seal()
  }

  addBatch(batch: TraceBatch): void {
    this.seal()
    this.keep(batch)
  }

  /** The newest `limit` traces that match, oldest first. */
  tail(limit: number, stackId?: string): Trace[] {
    const out: Trace[] = []
    this.newestFirst((batch, k) => {
      if (!stackId || stackIdOf(batch, k) === stackId) out.push(decodeTrace(batch, k))
      return out.length >= limit
    })
    return out.reverse()
  }

  find(id: string): Trace | undefined {
    let found: Trace | undefined
    // Ids are ASCII (trace-wire.ts keeps them as bytes): nothing else can match.
    if (/[^\x20-\x7e]/.test(id)) return undefined
    const wanted = Buffer.from(id, 'latin1')
    this.newestFirst((batch, k) => traceIdIs(batch, k, wanted) && (found = decodeTrace(batch, k)) !== undefined)
    return found
  }

  /** Visits the kept traces from the newest, until `visit` returns true. */
  private newestFirst(visit: (batch: TraceBatch, k: number) => boolean): void {
    this.seal()
    let seen = 0
    for (let b = this.batches.length - 1; b >= 0; b--) {
      const batch = this.batches[b]
      for (let k = batch.count - 1; k >= 0; k--) if (seen++ >= this.capacity || visit(batch, k)) return
    }
  }

  private seal(): void {
    const batch = this.open.take()
    if (batch) this.keep(batch)
  }

  private keep(batch: TraceBatch): void {
    this.batches.push(batch)
    this.total += batch.count
    while (this.batches.length > 1 && this.total - this.batches[0].count >= this.capacity) this.total -= this.batches.shift()!.count
    for (const key in batch.extras) {
      const extra = batch.extras[key]
      if (!extra.requestBody && !extra.responseBody) continue
      this.withBodies.push(extra)
      if (this.withBodies.length > this.bodiesKept) {
        const old = this.withBodies.shift()!
        old.requestBody = old.responseBody = undefined
      }
    }
  }
}
