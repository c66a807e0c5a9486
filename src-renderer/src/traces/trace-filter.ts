import type { Trace } from '../../../src-main/contract'

export interface TraceFilter {
  status: 'all' | '2xx' | '3xx' | '4xx' | '5xx' | 'errors' | 'app-errors'
  host: string
  text: string
  minMs: number | null
}

export const emptyTraceFilter = (): TraceFilter => ({ status: 'all', host: '', text: '', minMs: null })

/**
 * True when the trace passes every filter; `errors` means 5xx or a proxy error; `app-errors`, a trace
 * id among `appErrors` (the app's own spans or log records reported an error, whatever the status).
 */
export function matchesTrace(t: Trace, f: TraceFilter, appErrors: ReadonlySet<string> = new Set()): boolean {
  if (f.status === 'app-errors') {
    if (!t.traceId || !appErrors.has(t.traceId)) return false
  } else if (f.status === 'errors' ? !(t.status >= 500 || t.error) : f.status !== 'all' && Math.floor(t.status / 100) !== Number(f.status[0])) return false
  if (f.host && t.host !== f.host) return false
  if (f.text && !`${t.method} ${t.path} ${t.upstream ?? ''} ${t.traceId ?? ''}`.toLowerCase().includes(f.text.toLowerCase())) return false
  if (f.minMs != null && t.durationMs < f.minMs) return false
  return true
}
