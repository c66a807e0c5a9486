import protobuf from 'protobufjs'

/**
 * OTLP requests (opentelemetry-proto v1: collector/trace and collector/logs), decoded from
 * HTTP/protobuf or HTTP/JSON into one plain shape. Only the fields Aerie shows are declared; the
 * rest of a message is skipped, as protobuf allows.
 */
const PROTO = `
syntax = "proto3";
package otlp;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message InstrumentationScope { string name = 1; string version = 2; }
message Status { string message = 2; int32 code = 3; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
  repeated Event events = 11; Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message LogRecord {
  fixed64 time_unix_nano = 1; int32 severity_number = 2; string severity_text = 3; AnyValue body = 5;
  repeated KeyValue attributes = 6; bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11; string event_name = 12;
}
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
`
const root = protobuf.parse(PROTO, { keepCase: false }).root
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest')
const LogsRequest = root.lookupType('otlp.ExportLogsServiceRequest')

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue }

/** One span as the app exported it; times in milliseconds since the epoch (fractional). */
export interface AppSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  service: string
  scope: string
  startMs: number
  endMs: number
  attributes: Record<string, AttributeValue>
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string }
  events: { timeMs: number; name: string; attributes: Record<string, AttributeValue> }[]
}

/** One log record as the app exported it. */
export interface AppLog {
  traceId?: string
  spanId?: string
  timeMs: number
  /** OTLP SeverityNumber: 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal. */
  severity: number
  severityText: string
  body: string
  service: string
  scope: string
  attributes: Record<string, AttributeValue>
}

export type OtlpSignal = 'traces' | 'logs'
export type OtlpEncoding = 'protobuf' | 'json'

// A loosely typed view of a decoded message. protobufjs's decoded messages and OTLP/JSON share it
// (camelCase names; only the fields that were set are own properties); they differ in ids (bytes
// there, hex strings here) and 64-bit integers (Long objects there, strings here). The protobuf
// messages are read as decoded, without toObject: no base64 or BigInt round trips on the way.
type Msg = Record<string, unknown>
const list = (v: unknown): Msg[] => (Array.isArray(v) ? (v as Msg[]) : [])
const has = (m: Msg, key: string) => Object.prototype.hasOwnProperty.call(m, key)

/** A 64-bit integer as a number: a Long (protobuf), a decimal string (JSON) or a number. */
function int64(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string') return Number(v)
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber()
  return 0
}

function anyValue(v: unknown): AttributeValue {
  const m = (v ?? {}) as Msg
  if (has(m, 'stringValue')) return String(m.stringValue)
  if (has(m, 'boolValue')) return Boolean(m.boolValue)
  if (has(m, 'intValue')) return int64(m.intValue)
  if (has(m, 'doubleValue')) return Number(m.doubleValue)
  if (has(m, 'arrayValue')) return list((m.arrayValue as Msg).values).map(anyValue)
  if (has(m, 'kvlistValue')) return attributes((m.kvlistValue as Msg).values)
  if (has(m, 'bytesValue')) return typeof m.bytesValue === 'string' ? m.bytesValue : Buffer.from(m.bytesValue as Uint8Array).toString('base64')
  return null
}
function attributes(v: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {}
  for (const kv of list(v)) out[String(kv.key)] = anyValue(kv.value)
  return out
}
const text = (v: AttributeValue): string => (typeof v === 'string' ? v : JSON.stringify(v))
/** Nanoseconds since the epoch as milliseconds (a double keeps them to about a quarter of a microsecond). */
const nanosToMs = (v: unknown): number => int64(v) / 1e6

function id(v: unknown, bytes: number): string | undefined {
  let hex: string
  if (typeof v === 'string') hex = v.toLowerCase()
  else if (v instanceof Uint8Array) hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  else return undefined
  return hex.length === bytes * 2 && /^[0-9a-f]+$/.test(hex) && !/^0+$/.test(hex) ? hex : undefined
}

function resourceName(resource: unknown): string {
  const attrs = attributes((resource as Msg | undefined)?.attributes)
  const name = typeof attrs['service.name'] === 'string' ? attrs['service.name'] : 'unknown_service'
  return attrs['service.instance.id'] !== undefined ? `${name}#${text(attrs['service.instance.id'])}` : name
}

function parse(body: Buffer, encoding: OtlpEncoding, type: protobuf.Type): Msg {
  if (encoding === 'json') return JSON.parse(body.toString('utf8')) as Msg
  return type.decode(body) as unknown as Msg
}

/** The spans of an ExportTraceServiceRequest; throws on a body that is not one. */
export function decodeSpans(body: Buffer, encoding: OtlpEncoding): AppSpan[] {
  const spans: AppSpan[] = []
  for (const rs of list(parse(body, encoding, TraceRequest).resourceSpans)) {
    const service = resourceName(rs.resource)
    for (const ss of list(rs.scopeSpans)) {
      const scope = String((ss.scope as Msg | undefined)?.name ?? '')
      for (const s of list(ss.spans)) {
        const traceId = id(s.traceId, 16)
        const spanId = id(s.spanId, 8)
        if (!traceId || !spanId) continue
        const status = (s.status ?? {}) as Msg
        spans.push({
          traceId,
          spanId,
          parentSpanId: id(s.parentSpanId, 8),
          name: String(s.name ?? ''),
          kind: Number(s.kind ?? 0),
          service,
          scope,
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          status: { code: Number(status.code ?? 0), ...(status.message ? { message: String(status.message) } : {}) },
          events: list(s.events).map((e) => ({ timeMs: nanosToMs(e.timeUnixNano), name: String(e.name ?? ''), attributes: attributes(e.attributes) })),
        })
      }
    }
  }
  return spans
}

/**
 * A message template ("Greeting {Host}", as .NET's exporter sends the body without
 * IncludeFormattedMessage) with its placeholders filled from the record's attributes.
 */
function formatted(body: string, attrs: Record<string, AttributeValue>): string {
  return body.replace(/\{([A-Za-z_@][\w.]*)(?:[,:][^}]*)?\}/g, (whole, name: string) => {
    const v = attrs[name.replace(/^@/, '')]
    return v === undefined ? whole : text(v)
  })
}

/** The records of an ExportLogsServiceRequest; throws on a body that is not one. */
export function decodeLogs(body: Buffer, encoding: OtlpEncoding): AppLog[] {
  const logs: AppLog[] = []
  for (const rl of list(parse(body, encoding, LogsRequest).resourceLogs)) {
    const service = resourceName(rl.resource)
    for (const sl of list(rl.scopeLogs)) {
      const scope = String((sl.scope as Msg | undefined)?.name ?? '')
      for (const r of list(sl.logRecords)) {
        const traceId = id(r.traceId, 16)
        const spanId = id(r.spanId, 8)
        logs.push({
          ...(traceId ? { traceId } : {}),
          ...(spanId ? { spanId } : {}),
          timeMs: nanosToMs(r.timeUnixNano) || nanosToMs(r.observedTimeUnixNano),
          severity: Number(r.severityNumber ?? 0),
          severityText: String(r.severityText ?? ''),
          body: r.body === undefined ? '' : formatted(text(anyValue(r.body)), attributes(r.attributes)),
          service,
          scope,
          attributes: attributes(r.attributes),
        })
      }
    }
  }
  return logs
}

/** Encodes spans as OTLP/protobuf, for tests and the bench (the same schema the receiver reads). */
export function encodeTraceRequest(request: Msg): Buffer {
  return Buffer.from(TraceRequest.encode(TraceRequest.fromObject(request)).finish())
}

/** Encodes log records as OTLP/protobuf, for tests and the bench. */
export function encodeLogsRequest(request: Msg): Buffer {
  return Buffer.from(LogsRequest.encode(LogsRequest.fromObject(request)).finish())
}
