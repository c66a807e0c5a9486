import type { OtlpSignal } from './otlp-decode.js'

/**
 * What the receiver needs of an OTLP/protobuf export request when it arrives: which traces it
 * holds and which of them report an error, read by walking the protobuf wire format without
 * building a message. The request itself is kept as it came and decoded (otlp-decode.ts) only when
 * a trace's timeline is asked for: an app exporting 20,000 spans a second then costs the engine
 * a walk over bytes, not 20,000 decoded spans with their attributes.
 *
 * Field numbers: opentelemetry/proto (collector/trace/v1, trace/v1, collector/logs/v1, logs/v1).
 */
export interface ExportIndex {
  /** Trace id (hex) → whether a span (status ERROR) or a log record (severity ERROR or worse) of it reports an error. */
  traces: Map<string, boolean>
  /** Spans or log records in the request, and how many of them carried no usable trace id. */
  items: number
  withoutTrace: number
}

const STATUS_CODE_ERROR = 2
const SEVERITY_ERROR = 17

class Walker {
  pos = 0
  constructor(private readonly buf: Buffer) {}

  varint(end: number): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new Error('truncated varint')
      const byte = this.buf[this.pos++]
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
    }
    throw new Error('varint longer than 10 bytes')
  }

  /** Calls `field` for each field of the message in [start, end): its number, wire type, and where its value lies (or the varint). */
  fields(start: number, end: number, field: (number: number, wire: number, at: number, length: number, value: number) => void): void {
    this.pos = start
    while (this.pos < end) {
      const key = this.varint(end)
      const number = Math.floor(key / 8)
      const wire = key % 8
      if (number === 0) throw new Error('field number 0')
      if (wire === 0) field(number, 0, this.pos, 0, this.varint(end))
      else if (wire === 1 || wire === 5) {
        const length = wire === 1 ? 8 : 4
        if (this.pos + length > end) throw new Error('truncated fixed field')
        this.pos += length
      } else if (wire === 2) {
        const length = this.varint(end)
        const at = this.pos
        if (at + length > end) throw new Error('length runs past the message')
        this.pos = at + length
        field(number, 2, at, length, 0)
        this.pos = at + length
      } else throw new Error(`unsupported wire type ${wire}`)
    }
  }
}

/** Walks an ExportTraceServiceRequest or ExportLogsServiceRequest; throws on bytes that are not protobuf. */
export function indexExport(body: Buffer, signal: OtlpSignal): ExportIndex {
  const index: ExportIndex = { traces: new Map(), items: 0, withoutTrace: 0 }
  const w = new Walker(body)
  // Nested messages are walked with their own walker: each keeps its own position.
  const nested = (at: number, length: number, field: Parameters<Walker['fields']>[2]) => new Walker(body).fields(at, at + length, field)
  const item = (at: number, length: number) => {
    let traceId: string | undefined
    let error = false
    nested(at, length, (number, wire, a, l, value) => {
      if (signal === 'traces') {
        if (number === 1 && wire === 2 && l === 16) traceId = body.toString('hex', a, a + 16)
        else if (number === 15 && wire === 2) nested(a, l, (n, wt, _a, _l, code) => n === 3 && wt === 0 && code === STATUS_CODE_ERROR && (error = true))
      } else {
        if (number === 9 && wire === 2 && l === 16) traceId = body.toString('hex', a, a + 16)
        else if (number === 2 && wire === 0 && value >= SEVERITY_ERROR) error = true
      }
    })
    index.items++
    if (!traceId || /^0+$/.test(traceId)) return void index.withoutTrace++
    index.traces.set(traceId, (index.traces.get(traceId) ?? false) || error)
  }
  w.fields(0, body.length, (number, wire, at, length) => {
    if (number !== 1 || wire !== 2) return
    nested(at, length, (n, wt, a, l) => {
      if (n !== 2 || wt !== 2) return
      nested(a, l, (n2, wt2, a2, l2) => n2 === 2 && wt2 === 2 && item(a2, l2))
    })
  })
  return index
}
