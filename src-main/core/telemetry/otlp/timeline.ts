import type { Trace } from '../../../contract.js'
import type { AppLog, AppSpan, AttributeValue } from './otlp-decode.js'

/** One bar of the waterfall: the proxy's hop or one of the app's spans, with its depth in the tree. */
export interface TimelineSpan {
  spanId: string
  parentSpanId?: string
  name: string
  service: string
  /** `proxy` for Aerie's own hop; `app` for a span the app exported. */
  source: 'proxy' | 'app'
  kind: number
  startMs: number
  endMs: number
  depth: number
  status: { code: number; message?: string }
  attributes: Record<string, AttributeValue>
}

export interface Timeline {
  traceId?: string
  startMs: number
  endMs: number
  spans: TimelineSpan[]
  logs: AppLog[]
}

/**
 * The proxy's hop as a span: what the proxy did (route, rewrite, cache, upstream, TLS, timings).
 * Where the engine logs its time in whole seconds (nginx, Apache, Caddy), the hop is placed around
 * the app's server span, which the proxy's connect time precedes.
 */
function proxySpan(trace: Trace, child: AppSpan | undefined): TimelineSpan {
  const t = trace.timings
  let start = trace.time
  if (child && (child.startMs < start || child.startMs > start + trace.durationMs)) start = child.startMs - (t?.connectMs ?? 0)
  const attributes: Record<string, AttributeValue> = { 'http.request.method': trace.method, 'url.path': trace.path, 'server.address': trace.host, 'http.response.status_code': trace.status, 'network.protocol.version': trace.protocol }
  if (trace.route) attributes['aerie.route'] = trace.route
  if (trace.upstream) attributes['aerie.upstream'] = trace.upstream
  if (trace.retries) attributes['aerie.retries'] = trace.retries
  if (trace.tls) attributes['tls.protocol.version'] = trace.tls
  if (trace.cache) attributes['aerie.cache'] = trace.cache
  if (trace.rewrite) attributes['aerie.rewrite'] = `rule ${trace.rewrite.rule}: ${trace.rewrite.match} → ${trace.rewrite.target}${trace.rewrite.redirect ? ` (${trace.rewrite.redirect})` : ''}`
  if (t?.tlsMs !== undefined) attributes['aerie.tls_ms'] = t.tlsMs
  if (t?.connectMs !== undefined) attributes['aerie.connect_ms'] = t.connectMs
  if (t?.ttfbMs !== undefined) attributes['aerie.ttfb_ms'] = t.ttfbMs
  attributes['aerie.total_ms'] = trace.durationMs
  if (trace.error) attributes['error.type'] = trace.error
  return {
    spanId: trace.spanId ?? `proxy-${trace.id}`,
    name: `proxy ${trace.method} ${trace.path.split('?')[0]}`,
    service: 'aerie proxy',
    source: 'proxy',
    kind: 2,
    startMs: start,
    endMs: start + trace.durationMs,
    depth: 0,
    status: { code: trace.error || trace.status >= 500 ? 2 : 0, ...(trace.error ? { message: trace.error } : {}) },
    attributes,
  }
}

/**
 * One request's waterfall: the proxy's hop, then the app's spans as a tree under it (children by
 * start time, a span whose parent is unknown at the top level), and the app's log records.
 */
export function buildTimeline(trace: Trace, app: { spans: AppSpan[]; logs: AppLog[] }): Timeline {
  const children = new Map<string | undefined, AppSpan[]>()
  const ids = new Set(app.spans.map((s) => s.spanId))
  const rootId = trace.spanId
  for (const s of app.spans) {
    // A span whose parent was not exported (or is not the proxy's hop) is shown at the top level.
    const parent = s.parentSpanId && (ids.has(s.parentSpanId) || s.parentSpanId === rootId) ? s.parentSpanId : undefined
    children.set(parent, [...(children.get(parent) ?? []), s])
  }
  const hop = proxySpan(trace, (children.get(rootId) ?? [])[0])
  const spans: TimelineSpan[] = [hop]
  const seen = new Set<string>()
  const walk = (parent: string | undefined, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      if (seen.has(s.spanId)) continue
      seen.add(s.spanId)
      spans.push({ ...s, source: 'app', depth, parentSpanId: s.parentSpanId })
      walk(s.spanId, depth + 1)
    }
  }
  if (rootId) walk(rootId, 1)
  walk(undefined, 1)
  const startMs = Math.min(...spans.map((s) => s.startMs))
  const endMs = Math.max(...spans.map((s) => s.endMs))
  return { traceId: trace.traceId, startMs, endMs, spans: spans.map(strip), logs: app.logs }
}

const strip = ({ spanId, parentSpanId, name, service, source, kind, startMs, endMs, depth, status, attributes }: TimelineSpan): TimelineSpan => ({
  spanId,
  ...(parentSpanId ? { parentSpanId } : {}),
  name,
  service,
  source,
  kind,
  startMs,
  endMs,
  depth,
  status,
  attributes,
})
