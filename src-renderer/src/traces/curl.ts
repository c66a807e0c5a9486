import type { Trace } from '../../../src-main/contract.js'

/** Headers curl sets itself, or that would be wrong for a new request. */
const SKIPPED = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'accept-encoding'])

/** POSIX shell single-quoting: the text as one word, whatever it holds. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The request as a curl command line, to run again from a terminal: method, URL (the scheme from
 * TLS, the Host as the client sent it), and the headers the trace kept. Secrets the trace masked
 * (cookie values, Authorization credentials) stay masked: the command says so.
 */
export function curlFor(trace: Trace): string {
  const headers: Record<string, string> = trace.requestHeaders ?? {}
  const host = headers.host ?? trace.host
  const url = `${trace.tls ? 'https' : 'http'}://${host}${trace.path}`
  const parts = ['curl', '-i']
  if (trace.method !== 'GET') parts.push('-X', quote(trace.method))
  parts.push(quote(url))
  for (const [name, value] of Object.entries(headers)) if (!SKIPPED.has(name)) parts.push('-H', quote(`${name}: ${value}`))
  const masked = Object.values(headers).some((v) => v.includes('***'))
  return parts.join(' ') + (masked ? '\n# values shown as *** were masked in the trace (proxy.traceSecrets shows them)' : '')
}
