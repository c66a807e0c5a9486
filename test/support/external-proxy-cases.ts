import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import { expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { Trace } from '../../src-main/contract.js'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { ProxyConfigError } from '../../src-main/core/proxy/external/external-proxy.js'
import type { ProxyDriver, ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { browserLikeLoad } from './browser-like-load.js'
import { get } from './http-client.js'
import { waitFor } from './processes.js'
import { tempHome } from './temp-home.js'
import { wsRoundTrip } from './ws-round-trip.js'
import { defaultSettings, startUpstream, type TestUpstream } from './upstreams.js'

/**
 * The same behaviour checks for every real proxy (nginx, Apache, Caddy): HTTPS with Aerie's
 * certificate, load balancing, WebSocket, forwarded headers, traces from the access log,
 * a refused config with the old one still serving, and a reload under load without errors.
 */
export function externalProxyCases(driver: ProxyDriver, options: { forwardsProto?: boolean } = {}) {
  const home = tempHome(`aerie-${driver.kind}-`)
  const traces: Trace[] = []
  const logs: string[] = []
  let ca: LocalCA
  let a: TestUpstream
  let b: TestUpstream
  let proxy: RunningProxy
  let plan: ProxyPlan

  it('starts with the stack config and answers over HTTP and HTTPS with Aerie’s certificate', async () => {
    ca = await LocalCA.create(path.join(home.dir, 'ca'))
    const leaf = await ca.issueLeaf(['app.localhost', 'localhost', '127.0.0.1'])
    a = await startUpstream('web#1')
    b = await startUpstream('web#2')
    new WebSocketServer({ server: a.server }).on('connection', (s) => s.on('message', (m) => s.send(`echo ${m}`)))
    new WebSocketServer({ server: b.server }).on('connection', (s) => s.on('message', (m) => s.send(`echo ${m}`)))
    plan = {
      stackId: 'app',
      listenHost: '127.0.0.1',
      httpPort: await findFreePort(),
      httpsPort: await findFreePort(),
      tls: { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
      hostnames: ['app.localhost'],
      routes: [{ pathPrefix: '/', appServer: 'web', upstreams: [a.upstream, b.upstream] }],
      settings: defaultSettings(),
      workDir: path.join(home.dir, 'proxy'),
      adminPort: await findFreePort(),
    }
    proxy = await driver.start(plan, { log: (l) => logs.push(...l), trace: (t) => traces.push(t) })
    expect((await get(plan.httpPort, '/', `app.localhost:${plan.httpPort}`)).status).toBe(200)
    const body = await new Promise<string>((resolve, reject) =>
      https.get({ host: '127.0.0.1', port: plan.httpsPort, path: '/tls', servername: 'app.localhost', headers: { host: `app.localhost:${plan.httpsPort}` }, ca: ca.certPem, agent: false }, (res) => {
        let d = ''
        res.on('data', (c) => (d += c))
        res.on('end', () => resolve(d))
      }).on('error', reject),
    )
    const seen = JSON.parse(body)
    if (options.forwardsProto !== false) expect(seen.headers['x-forwarded-proto']).toBe('https')
    expect(seen.headers['x-forwarded-for']).toContain('127.0.0.1')
  }, 60_000)

  it('spreads requests across instances, forwarding Host and X-Forwarded-*', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 8; i++) {
      const body = JSON.parse((await get(plan.httpPort, `/lb/${i}`, `app.localhost:${plan.httpPort}`)).body)
      ids.add(body.id)
      expect(body.headers.host).toBe(`app.localhost:${plan.httpPort}`)
      expect(body.headers['x-forwarded-proto']).toBe('http')
      expect(body.headers['x-forwarded-for']).toContain('127.0.0.1')
    }
    expect(ids).toEqual(new Set(['web#1', 'web#2']))
  })

  it('tunnels a WebSocket, traced as 101', async () => {
    expect(await wsRoundTrip(`ws://127.0.0.1:${plan.httpPort}/ws`, 'ping', { headers: { host: `app.localhost:${plan.httpPort}` } })).toBe('echo ping')
    await waitFor(() => traces.some((t) => t.path === '/ws'), 5000, 'the WebSocket trace')
    // (Caddy 2.6 logs a tunnelled connection without its response headers, so without the instance.)
    expect(traces.find((t) => t.path === '/ws')!.status).toBe(101)
  })

  it('turns access-log lines into traces, with request headers (secrets masked)', async () => {
    await get(plan.httpPort, '/traced?x=1', `app.localhost:${plan.httpPort}`, { 'user-agent': 'aerie-test/1', authorization: 'Bearer top-secret' })
    await waitFor(() => traces.some((t) => t.path === '/traced?x=1'), 5000, 'the trace from the access log')
    const t = traces.find((x) => x.path === '/traced?x=1')!
    expect(t).toMatchObject({ stackId: 'app', method: 'GET', status: 200, client: '127.0.0.1' })
    expect(t.host).toMatch(/^app\.localhost/)
    expect(t.responseBytes).toBeGreaterThan(0)
    expect(t.requestHeaders).toMatchObject({ 'user-agent': 'aerie-test/1' })
    expect(t.upstream, 'the instance that answered').toMatch(/^web#[12]$/)
    expect(JSON.stringify(t.requestHeaders)).not.toContain('top-secret')
  })

  it('refuses a broken config with the validator’s message and keeps serving the last good one', async () => {
    // A port no server can listen on: every proxy's validator refuses it.
    const broken: ProxyPlan = { ...plan, httpsPort: 70000 }
    const err = await proxy.reload(broken).catch((e: Error) => e)
    expect(err).toBeInstanceOf(ProxyConfigError)
    expect((err as ProxyConfigError).detail.length).toBeGreaterThan(3)
    expect((await get(plan.httpPort, '/still', `app.localhost:${plan.httpPort}`)).status).toBe(200)
  })

  it('reloads under a bounded load with zero failed requests', async () => {
    const load = browserLikeLoad({ port: plan.httpPort, host: `app.localhost:${plan.httpPort}`, connections: 8, durationMs: 3000 })
    await new Promise((r) => setTimeout(r, 700))
    await proxy.reload({ ...plan, routes: [{ pathPrefix: '/', appServer: 'web', upstreams: [b.upstream, a.upstream] }] })
    await new Promise((r) => setTimeout(r, 500))
    await proxy.reload(plan)
    const result = await load
    expect(result.ok).toBeGreaterThan(100)
    expect(result.errors).toEqual([])
    expect(result.failed).toBe(0)
    expect(Object.keys(result.statuses)).toEqual(['200'])
  }, 20_000)

  it('starts the proxy again when it dies on its own', async () => {
    const pid = proxy.pid!()!
    expect(pid).toBeGreaterThan(0)
    process.kill(pid, 'SIGKILL')
    await waitFor(() => Boolean(proxy.pid!()) && proxy.pid!() !== pid, 15_000, 'a new server process')
    await waitFor(async () => (await get(plan.httpPort, '/', `app.localhost:${plan.httpPort}`).catch(() => ({ status: 0 }))).status === 200, 15_000, 'the proxy to answer again')
    expect(logs.some((l) => l.includes('will be started again'))).toBe(true)
  })

  it('stops cleanly: the port closes', async () => {
    await proxy.stop()
    await expect(get(plan.httpPort, '/', 'app.localhost')).rejects.toThrow(/ECONNREFUSED/)
    await Promise.all([a.close(), b.close()])
    fs.rmSync(home.dir, { recursive: true, force: true })
  })
}

