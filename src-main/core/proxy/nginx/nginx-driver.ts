import fs from 'node:fs'
import { loggedHeaders, type AccessEntry, type ExternalProxySpec } from '../external/external-proxy.js'
import { renderNginxConfig } from './nginx-config.js'

const seconds = (v: unknown) => (typeof v === 'string' && /^[\d.]+$/.test(v) ? Math.round(Number(v) * 100000) / 100 : undefined)

/** nginx's JSON access-log line (format in nginx-config.ts) as a trace. */
export function parseNginxAccessLine(line: string): AccessEntry | undefined {
  let j: Record<string, unknown>
  try {
    j = JSON.parse(line)
  } catch {
    return undefined
  }
  const total = seconds(String(j.request_time)) ?? 0
  const connect = seconds(String(j.upstream_connect_time).split(/[,\s:]+/).pop())
  const ttfb = seconds(String(j.upstream_header_time).split(/[,\s:]+/).pop())
  const uri = String(j.uri ?? '')
  return {
    time: Date.parse(String(j.time)) || Date.now(),
    client: String(j.client ?? ''),
    protocol: String(j.protocol ?? ''),
    ...(j.tls ? { tls: String(j.tls) } : {}),
    // As nginx's Cache-Status header says it (nginx-servers.ts).
    ...(j.cache ? { cache: `nginx; ${String(j.cache)}` } : {}),
    method: String(j.method ?? ''),
    host: String(j.host ?? ''),
    path: uri,
    status: Number(j.status) || 0,
    durationMs: total,
    requestBytes: Number(j.request_length) || 0,
    responseBytes: Number(j.bytes_sent) || 0,
    timings: { totalMs: total, ...(connect !== undefined ? { connectMs: connect } : {}), ...(ttfb !== undefined ? { ttfbMs: ttfb } : {}) },
    ...(j.traceparent ? { traceId: String(j.traceparent).split('-')[1], spanId: String(j.traceparent).split('-')[2] } : {}),
    ...(Array.isArray(j.headers) ? { requestHeaders: loggedHeaders(j.headers.map(String)) } : {}),
    ...(j.upstream_addr && j.upstream_addr !== '-' ? { upstreamAddress: String(j.upstream_addr) } : {}),
  }
}

/** nginx runs one worker (worker_processes 1): after a reload, old workers drain and exit within this. */
const RELOAD_DRAIN_TIMEOUT_MS = 10_000

function childCount(pid: number): number | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length
  } catch {
    return undefined
  }
}

/** Waits until the master has `count` worker processes again (Linux; elsewhere waits a moment). */
async function waitForChildren(pid: number, count: number): Promise<void> {
  const deadline = Date.now() + RELOAD_DRAIN_TIMEOUT_MS
  let seenMore = false
  while (Date.now() < deadline) {
    const n = childCount(pid)
    if (n === undefined) return void (await new Promise((r) => setTimeout(r, 500)))
    if (n > count) seenMore = true
    if (n === count && (seenMore || Date.now() > deadline - RELOAD_DRAIN_TIMEOUT_MS + 300)) return
    await new Promise((r) => setTimeout(r, 25))
  }
}

export const nginxSpec: ExternalProxySpec = {
  kind: 'nginx',
  label: 'nginx',
  binaryNames: ['nginx'],
  binaryDirs: ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin'],
  install: { apt: 'nginx', brew: 'nginx', winget: 'nginxinc.nginx' },
  versionArgs: ['-v'],
  versionPattern: /nginx\/([\d.]+)/,
  configName: 'nginx.conf',
  render: renderNginxConfig,
  // -e: without it nginx first opens its compiled-in error log path (under /var/log).
  validateArgs: (file, paths) => ['-t', '-q', '-p', paths.dir, '-c', file, '-e', 'stderr'],
  runArgs: (file, paths) => ['-p', paths.dir, '-c', file, '-e', 'stderr', '-g', 'daemon off;'],
  async reload(_binary, _file, _paths, pid) {
    // One reload at a time: a second SIGHUP while old workers still drain made clients see resets.
    await waitForChildren(pid, 1)
    process.kill(pid, 'SIGHUP')
    await waitForChildren(pid, 1)
  },
  parseError(output) {
    const m = /\[emerg\][^:]*:\s*(.*?) in (\S+):(\d+)/.exec(output)
    if (m) return { message: m[1], file: m[2], line: Number(m[3]) }
    return { message: output.split('\n').find((l) => /emerg|error/.test(l))?.replace(/^nginx:\s*/, '') ?? output.trim() }
  },
  parseAccessLine: parseNginxAccessLine,
}
