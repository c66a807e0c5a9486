import http from 'node:http'
import https from 'node:https'
import type { StackView, Trace } from '../../contract.js'

/** Headers a new request makes for itself. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive'])
const REPLAY_TIMEOUT_MS = 30_000

/** Where a replay goes: the stack's proxy (a listener of it), or one instance directly. */
export interface ReplayTarget {
  port: number
  tls?: { ca: string; servername: string }
  label: string
}

/**
 * Sends a traced request again: its method, target, headers and recorded body. A header the trace
 * masked (a cookie or credentials) is left out, and said so; a body the trace did not record
 * whole is refused, as the request would not be the same.
 */
export async function replayRequest(trace: Trace, target: ReplayTarget): Promise<{ status: number; durationMs: number; note: string }> {
  if (trace.requestBody?.truncated) throw new Error(`the recorded body is cut at ${trace.requestBody.text.length} of ${trace.requestBody.bytes} bytes; raise proxy.traceBodies to replay it`)
  if (!trace.requestBody && (trace.requestBytes ?? 0) > 0) throw new Error(`the request had a ${trace.requestBytes}-byte body that was not recorded; set proxy.traceBodies to replay it`)
  const headers: Record<string, string> = {}
  const masked: string[] = []
  for (const [name, value] of Object.entries(trace.requestHeaders ?? {})) {
    if (OWN_HEADERS.has(name)) continue
    if (value.includes('***')) masked.push(name)
    else headers[name] = value
  }
  headers.host ??= trace.host
  const body = trace.requestBody ? Buffer.from(trace.requestBody.text, trace.requestBody.encoding === 'base64' ? 'base64' : 'utf8') : undefined
  const started = performance.now()
  const status = await new Promise<number>((resolve, reject) => {
    const options = { host: '127.0.0.1', port: target.port, method: trace.method, path: trace.path, headers, agent: false, timeout: REPLAY_TIMEOUT_MS, ...(target.tls ? { ca: target.tls.ca, servername: target.tls.servername } : {}) }
    const req = (target.tls ? https : http).request(options, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REPLAY_TIMEOUT_MS / 1000} s`)))
    req.on('error', reject)
    req.end(body)
  })
  const durationMs = Math.round((performance.now() - started) * 10) / 10
  return { status, durationMs, note: `replayed ${trace.method} ${trace.path} to ${target.label}: ${status} in ${durationMs} ms${masked.length ? ` (without ${masked.join(', ')}: masked in the trace)` : ''}` }
}

/** Where a replay of `trace` goes: instance `instance` directly, or the stack's proxy on the scheme the client used (HTTPS trusting Aerie's CA). */
export async function replayTarget(view: StackView, trace: Trace, instance: string | undefined, caPem: () => Promise<string>): Promise<ReplayTarget> {
  if (view.state === 'stopped' || view.state === 'failed') throw new Error(`stack "${trace.stackId}" is ${view.state}; start it to replay its requests`)
  if (instance) {
    const p = view.processes.find((x) => `${x.appServer}#${x.instance}` === instance)
    if (!p) throw new Error(`stack "${trace.stackId}" has no instance "${instance}"`)
    return { port: p.port, label: instance }
  }
  const { proxy } = view.stack
  const tls = trace.tls && proxy.httpsPort ? { ca: await caPem(), servername: trace.host } : undefined
  return { port: tls ? proxy.httpsPort! : proxy.httpPort, tls, label: `the ${proxy.kind === 'builtin' ? 'built-in proxy' : proxy.kind}` }
}
