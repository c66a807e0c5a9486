import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { UPSTREAM_HEADER } from './caddy-site.js'
import type { AccessEntry, ExternalProxySpec } from '../external/external-proxy.js'
import { renderCaddyfile } from './caddy-config.js'

const run = promisify(execFile)
const TLS_VERSIONS: Record<number, string> = { 769: 'TLSv1', 770: 'TLSv1.1', 771: 'TLSv1.2', 772: 'TLSv1.3' }
/** A reload through the admin API that takes longer than this is reported as failed. */
const CADDY_RELOAD_TIMEOUT_MS = 15_000

/** Caddy's JSON access-log entry as a trace (Caddy 2.6 logs no upstream address: that field stays absent). */
export function parseCaddyAccessLine(line: string): AccessEntry | undefined {
  let j: { ts?: number; resp_headers?: Record<string, string[]>; request?: { remote_ip?: string; proto?: string; method?: string; host?: string; uri?: string; headers?: Record<string, string[]>; tls?: { version?: number } }; duration?: number; size?: number; status?: number }
  try {
    j = JSON.parse(line)
  } catch {
    return undefined
  }
  if (!j.request) return undefined
  const total = Math.round((j.duration ?? 0) * 100000) / 100
  const headers = j.request.headers ?? {}
  const traceparent = headers.Traceparent?.[0]
  // Caddy 2.6 logs a WebSocket it tunnelled (a hijacked connection) with status 0: it switched protocols.
  const upgraded = j.status === 0 && /websocket/i.test(headers.Upgrade?.[0] ?? '')
  return {
    time: j.ts ? Math.round(j.ts * 1000) : Date.now(),
    client: j.request.remote_ip ?? '',
    protocol: j.request.proto ?? '',
    ...(j.request.tls?.version ? { tls: TLS_VERSIONS[j.request.tls.version] ?? String(j.request.tls.version) } : {}),
    method: j.request.method ?? '',
    host: (j.request.host ?? '').replace(/:\d+$/, ''),
    path: j.request.uri ?? '',
    status: upgraded ? 101 : (j.status ?? 0),
    durationMs: total,
    responseBytes: j.size ?? 0,
    timings: { totalMs: total },
    // Caddy logs the request headers (Authorization and Cookie are masked when the trace is stored, as for the built-in proxy).
    requestHeaders: Object.fromEntries(Object.entries(headers).map(([name, values]) => [name.toLowerCase(), values.join(', ')])),
    ...(traceparent ? { traceId: traceparent.split('-')[1], spanId: traceparent.split('-')[2] } : {}),
    ...(j.resp_headers?.[UPSTREAM_HEADER]?.[0] ? { upstreamAddress: j.resp_headers[UPSTREAM_HEADER][0] } : {}),
  }
}

export const caddySpec: ExternalProxySpec = {
  kind: 'caddy',
  label: 'Caddy',
  binaryNames: ['caddy'],
  binaryDirs: ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'],
  install: { apt: 'caddy', brew: 'caddy', winget: 'CaddyServer.Caddy' },
  versionArgs: ['version'],
  versionPattern: /v?(\d+\.\d+\.\d+)/,
  configName: 'Caddyfile',
  render: renderCaddyfile,
  // Caddy otherwise writes under the user's home folder.
  env: (paths) => ({ XDG_DATA_HOME: `${paths.dir}/data`, XDG_CONFIG_HOME: `${paths.dir}/config` }),
  validateArgs: (file) => ['validate', '--config', file, '--adapter', 'caddyfile'],
  runArgs: (file) => ['run', '--config', file, '--adapter', 'caddyfile'],
  async reload(binary, file, paths) {
    await run(binary, ['reload', '--config', file, '--adapter', 'caddyfile', '--address', `127.0.0.1:${paths.adminPort}`], {
      timeout: CADDY_RELOAD_TIMEOUT_MS,
      env: { ...process.env, XDG_DATA_HOME: `${paths.dir}/data`, XDG_CONFIG_HOME: `${paths.dir}/config` },
    })
  },
  parseError(output) {
    const m = /(\/\S+?):(\d+)(?: - Error during parsing)?:?\s*(.*)/.exec(output)
    if (m) return { file: m[1], line: Number(m[2]), message: m[3].trim() || output.trim() }
    const last = output.trim().split('\n').filter((l) => /error/i.test(l)).pop()
    return { message: (last ?? output).replace(/^.*?"error":"?/, '').trim() }
  },
  parseAccessLine: parseCaddyAccessLine,
}
