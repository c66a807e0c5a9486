import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Upstream } from '../../src-main/core/proxy/proxy-driver.js'
import type { ProxyPlan } from '../../src-main/core/proxy/proxy-driver.js'

export interface TestUpstream {
  server: http.Server
  upstream: Upstream
  hits: number
  close(): Promise<void>
}

/** A real HTTP server on a free loopback port that answers with its name, as an app instance would. */
export async function startUpstream(id: string, handler?: http.RequestListener, port = 0): Promise<TestUpstream> {
  const t: Partial<TestUpstream> = { hits: 0 }
  const server = http.createServer((req, res) => {
    t.hits!++
    if (handler) return handler(req, res)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ id, url: req.url, headers: req.headers }))
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  const bound = (server.address() as AddressInfo).port
  let state: 'running' | 'crashed' = 'running'
  t.server = server
  t.upstream = { id, host: '127.0.0.1', port: bound, state: () => state, problem: () => (state === 'crashed' ? 'exited with code 1' : undefined) }
  t.close = () =>
    new Promise<void>((r) => {
      server.close(() => r())
      server.closeAllConnections()
    })
  Object.defineProperty(t, 'crash', { value: () => (state = 'crashed') })
  return t as TestUpstream
}

export function defaultSettings(overrides: Partial<ProxyPlan['settings']> = {}): ProxyPlan['settings'] {
  return {
    redirectToHttps: false,
    loadBalancing: 'round-robin',
    ejection: { failures: 3, ejectMs: 10_000 },
    timeouts: { clientHeadersMs: 30_000, idleMs: 60_000, upstreamConnectMs: 5_000, upstreamResponseMs: 60_000 },
    compression: true,
    maxBodySize: 30_000_000,
    forwardedHeader: false,
    traceSecrets: false,
    ...overrides,
  }
}
