import type { OtlpSignal } from './otlp-decode.js'

/**
 * What the receiver needs of an OTLP/protobuf export request when it arrives: which traces it
 * holds (their ids as bytes, one block per request: no string or object per trace) and which of
 * them report an error, read by walking the protobuf wire format without building a message. The
 * request itself is kept as it came and decoded (otlp-decode.ts) only when a trace's timeline is
 * asked for: an app exporting 20,000 spans a second then costs the engine a walk over bytes, not
 * 20,000 decoded spans with their attributes.
 *
 * Field numbers: opentelemetry/proto (collector/trace/v1, trace/v1, collector/logs/v1, logs/v1).
 */
export interface ExportIndex {
  /** The trace id of each span or log record that has one, 16 bytes each, in order (a trace with several records appears as often). */
  ids: Buffer
  /** Trace ids (hex) of the records that report an error: a span with status ERROR, a log record of severity ERROR or worse. */
  errors: string[]
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
  const errors: string[] = []
  let items = 0
  let withoutTrace = 0
  /** Where each record's trace id lies in the body: copied out at the end, into a block of their exact size. */
  const idsAt: number[] = []
  const w = new Walker(body)
  // Nested messages are walked with their own walker: each keeps its own position.
  const nested = (at: number, length: number, field: Parameters<Walker['fields']>[2]) => new Walker(body).fields(at, at + length, field)
  const item = (at: number, length: number) => {
    let traceAt = -1
    let error = false
    nested(at, length, (number, wire, a, l, value) => {
      if (signal === 'traces') {
        if (number === 1 && wire === 2 && l === 16) traceAt = a
        else if (number === 15 && wire === 2) nested(a, l, (n, wt, _a, _l, code) => n === 3 && wt === 0 && code === STATUS_CODE_ERROR && (error = true))
      } else {
        if (number === 9 && wire === 2 && l === 16) traceAt = a
        else if (number === 2 && wire === 0 && value >= SEVERITY_ERROR) error = true
      }
    })
    items++
    if (traceAt < 0 || isAllZero(body, traceAt)) return void withoutTrace++
    idsAt.push(traceAt)
    if (error) errors.push(body.toString('hex', traceAt, traceAt + 16))
  }
  w.fields(0, body.length, (number, wire, at, length) => {
    if (number !== 1 || wire !== 2) return
    nested(at, length, (n, wt, a, l) => {
      if (n !== 2 || wt !== 2) return
      nested(a, l, (n2, wt2, a2, l2) => n2 === 2 && wt2 === 2 && item(a2, l2))
    })
  })
  const ids = Buffer.allocUnsafe(idsAt.length * 16)
  idsAt.forEach((at, k) => body.copy(ids, k * 16, at, at + 16))
  return { ids, errors, items, withoutTrace }
}

/** An all-zero trace id means no trace. */
function isAllZero(buf: Buffer, at: number): boolean {
  for (let i = at; i < at + 16; i++) if (buf[i] !== 0) return false
  return true
}

/** Whether `ids` (16 bytes per record, as ExportIndex holds them) holds the trace id `needle`. */
export function holdsTraceId(ids: Buffer, needle: Buffer): boolean {
  for (let at = ids.indexOf(needle); at !== -1; at = ids.indexOf(needle, at + 1)) if (at % 16 === 0) return true
  return false
}
