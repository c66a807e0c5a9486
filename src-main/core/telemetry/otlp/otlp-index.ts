import type { OtlpSignal } from './otlp-decode.js'

/**
 * What the receiver needs of an OTLP/protobuf export request when it arrives: which traces it
 * holds (their ids as bytes, one block per request: no string or object per trace) and which of
 * them report an error, read by walking the protobuf wire format without building a message. The request itself is kept as it came and decoded (otlp-decode.ts) only when
 * a trace's timeline is asked for: an app exporting 20,000 spans a second then costs the engine
 * a walk over bytes, not 20,000 decoded spans with their attributes.
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

/** Where a walk collects the trace ids before they are copied out at their exact size (grown as needed, kept between walks). */
let scratch = Buffer.allocUnsafe(16 * 1024)
let scratchUsed = 0

const STATUS_CODE_ERROR = 2
const SEVERITY_ERROR = 17

// The field last read by readField, and where the last varint ended: module state, so a walk over
// 20,000 spans a second allocates nothing but the trace ids (no closure or object per field).
let varintEnd = 0
let fieldNumber = 0
let fieldWire = 0
let fieldAt = 0
let fieldLength = 0
let fieldValue = 0

function varint(buf: Buffer, pos: number, end: number): number {
  let result = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error('truncated varint')
    const byte = buf[pos++]
    result += (byte & 0x7f) * scale
    if (byte < 0x80) {
      varintEnd = pos
      return result
    }
    scale *= 128
  }
  throw new Error('varint longer than 10 bytes')
}

/** Reads the field at `pos` of a message ending at `end` into the field state; returns where the next field starts. */
function readField(buf: Buffer, pos: number, end: number): number {
  const key = varint(buf, pos, end)
  pos = varintEnd
  fieldNumber = Math.floor(key / 8)
  fieldWire = key % 8
  if (fieldNumber === 0) throw new Error('field number 0')
  if (fieldWire === 0) {
    fieldValue = varint(buf, pos, end)
    fieldAt = pos
    fieldLength = 0
    return varintEnd
  }
  if (fieldWire === 1 || fieldWire === 5) {
    const length = fieldWire === 1 ? 8 : 4
    if (pos + length > end) throw new Error('truncated fixed field')
    fieldAt = pos
    fieldLength = length
    return pos + length
  }
  if (fieldWire === 2) {
    fieldLength = varint(buf, pos, end)
    fieldAt = varintEnd
    if (fieldAt + fieldLength > end) throw new Error('length runs past the message')
    return fieldAt + fieldLength
  }
  throw new Error(`unsupported wire type ${fieldWire}`)
}

/** True when the 16 bytes at `at` are not all zero (all zero: no trace). */
function isTraceId(buf: Buffer, at: number): boolean {
  for (let i = at; i < at + 16; i++) if (buf[i] !== 0) return true
  return false
}

/** One span (traces) or log record (logs) in [start, end): counted, and its trace id noted with whether it reports an error. */
function indexItem(buf: Buffer, start: number, end: number, signal: OtlpSignal, index: ExportIndex): void {
  let traceAt = -1
  let error = false
  for (let pos = start; pos < end; ) {
    pos = readField(buf, pos, end)
    if (signal === 'traces') {
      if (fieldNumber === 1 && fieldWire === 2 && fieldLength === 16) traceAt = isTraceId(buf, fieldAt) ? fieldAt : -1
      else if (fieldNumber === 15 && fieldWire === 2) {
        const statusEnd = fieldAt + fieldLength
        for (let at = fieldAt; at < statusEnd; ) {
          at = readField(buf, at, statusEnd)
          if ((fieldNumber as number) === 3 && (fieldWire as number) === 0 && fieldValue === STATUS_CODE_ERROR) error = true
        }
      }
    } else if (fieldNumber === 9 && fieldWire === 2 && fieldLength === 16) traceAt = isTraceId(buf, fieldAt) ? fieldAt : -1
    else if (fieldNumber === 2 && fieldWire === 0 && fieldValue >= SEVERITY_ERROR) error = true
  }
  index.items++
  if (traceAt < 0) return void index.withoutTrace++
  if (scratchUsed + 16 > scratch.length) {
    const grown = Buffer.allocUnsafe(scratch.length * 2)
    scratch.copy(grown, 0, 0, scratchUsed)
    scratch = grown
  }
  buf.copy(scratch, scratchUsed, traceAt, traceAt + 16)
  scratchUsed += 16
  if (error) index.errors.push(buf.toString('hex', traceAt, traceAt + 16))
}

/** Walks an ExportTraceServiceRequest or ExportLogsServiceRequest; throws on bytes that are not protobuf. */
export function indexExport(body: Buffer, signal: OtlpSignal): ExportIndex {
  const index: ExportIndex = { ids: EMPTY, errors: [], items: 0, withoutTrace: 0 }
  scratchUsed = 0
  // Request { 1: Resource{Spans,Logs} { 2: Scope{Spans,Logs} { 2: Span or LogRecord } } }
  for (let pos = 0; pos < body.length; ) {
    pos = readField(body, pos, body.length)
    if (fieldNumber !== 1 || fieldWire !== 2) continue
    const resourceEnd = fieldAt + fieldLength
    for (let at = fieldAt; at < resourceEnd; ) {
      at = readField(body, at, resourceEnd)
      // `as number`: TypeScript keeps the narrowing of the test above, but readField has read another field since.
      if ((fieldNumber as number) !== 2 || fieldWire !== 2) continue
      const scopeEnd = fieldAt + fieldLength
      for (let item = fieldAt; item < scopeEnd; ) {
        item = readField(body, item, scopeEnd)
        if ((fieldNumber as number) === 2 && fieldWire === 2) {
          const itemStart = fieldAt
          const itemEnd = fieldAt + fieldLength
          indexItem(body, itemStart, itemEnd, signal, index)
        }
      }
    }
  }
  index.ids = Buffer.from(scratch.subarray(0, scratchUsed))
  return index
}

const EMPTY = Buffer.alloc(0)

/** Whether `ids` (16 bytes per record, as ExportIndex holds them) holds the trace id `needle`. */
export function holdsTraceId(ids: Buffer, needle: Buffer): boolean {
  for (let at = ids.indexOf(needle); at !== -1; at = ids.indexOf(needle, at + 1)) if (at % 16 === 0) return true
  return false
}
