import { loggedHeaders, type AccessEntry, type ExternalProxySpec } from '../external/external-proxy.js'
import { apacheCacheRoot, prepareApacheCache, renderApacheConfig } from './apache-config.js'

/** One tab-separated line of the `aerie` LogFormat (apache-config.ts) as a trace. */
export function parseApacheAccessLine(line: string): AccessEntry | undefined {
  const f = line.split('\t')
  if (f.length < 14) return undefined
  const [time, client, method, host, requestLine, status, bytesIn, bytesOut, micros, worker, protocol, tls, traceparent, xCache] = f
  const total = Math.round(Number(micros) / 10) / 100
  const iso = time.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')
  return {
    time: Date.parse(iso) || Date.now(),
    client,
    protocol,
    ...(tls && tls !== '-' ? { tls } : {}),
    // mod_cache's X-Cache ("HIT from <host>"), in the Cache-Status form the other engines' traces use.
    ...(xCache && xCache !== '-' ? { cache: `Apache; ${xCache.split(' ')[0]}` } : {}),
    method,
    host: host.replace(/:\d+$/, ''),
    // The target as the client sent it (from the request line): %U is the path after mod_rewrite.
    path: requestLine.replace(/^\S+ /, '').replace(/ HTTP\/[\d.]+$/, ''),
    status: Number(status) || 0,
    durationMs: total,
    requestBytes: Number(bytesIn) || 0,
    responseBytes: Number(bytesOut) || 0,
    timings: { totalMs: total },
    ...(traceparent && traceparent !== '-' ? { traceId: traceparent.split('-')[1], spanId: traceparent.split('-')[2] } : {}),
    requestHeaders: loggedHeaders(f.slice(14)),
    ...(worker && worker !== '-' ? { upstreamAddress: worker.replace(/^https?:\/\//, '').replace(/\/$/, '') } : {}),
  }
}

export const apacheSpec: ExternalProxySpec = {
  kind: 'apache',
  label: 'Apache httpd',
  binaryNames: ['apache2', 'httpd'],
  binaryDirs: ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin'],
  install: { apt: 'apache2', brew: 'httpd', winget: 'ApacheLounge.httpd' },
  versionArgs: ['-v'],
  versionPattern: /Apache\/([\d.]+)/,
  configName: 'httpd.conf',
  render: renderApacheConfig,
  prepare: prepareApacheCache,
  cacheDir: (_paths, plan) => apacheCacheRoot(plan),
  validateArgs: (file) => ['-t', '-f', file],
  runArgs: (file) => ['-f', file, '-DFOREGROUND'],
  async reload(_binary, _file, _paths, pid) {
    // SIGUSR1: graceful restart; requests in flight finish on the old children.
    process.kill(pid, 'SIGUSR1')
  },
  parseError(output) {
    const m = /line (\d+) of (\S+?):\s*\n?(.*)/.exec(output)
    if (m) return { line: Number(m[1]), file: m[2], message: m[3].trim() || output.trim() }
    return { message: output.trim().split('\n').find((l) => /AH\d+|error/i.test(l)) ?? output.trim() }
  },
  parseAccessLine: parseApacheAccessLine,
}
