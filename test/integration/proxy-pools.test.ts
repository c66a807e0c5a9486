import http from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import type { Trace } from '../../src-main/contract.js'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import type { ProxyPlan } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { WebSocketServer } from 'ws'
import { get } from '../support/http-client.js'
import { wsRoundTrip } from '../support/ws-round-trip.js'
import { waitFor } from '../support/processes.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

const started: { close(): Promise<void> }[] = []
afterAll(async () => {
  for (const s of started.reverse()) await s.close()
})

async function proxyFor(upstreams: TestUpstream[], settings: Partial<ProxyPlan['settings']>) {
  const traces: Trace[] = []
  const plan: ProxyPlan = {
    stackId: `pool-${Math.random().toString(36).slice(2, 8)}`,
    listenHost: '127.0.0.1',
    httpPort: await findFreePort(),
    hostnames: ['pool.localhost'],
    routes: [{ pathPrefix: '/', appServer: 'web', upstreams: upstreams.map((u) => u.upstream) }],
    settings: defaultSettings(settings),
  }
  const proxy = await builtinProxyDriver.start(plan, { log: () => {}, trace: (t) => traces.push(t) })
  started.push({ close: () => proxy.stop() })
  return { plan, traces, proxy }
}

describe('upstream pools on the built-in proxy', () => {
  it('sticky: the cookie set on the first answer keeps a browser on one instance', async () => {
    const ups = [await startUpstream('web#1'), await startUpstream('web#2')]
    started.push(...ups)
    const { plan } = await proxyFor(ups, { loadBalancing: 'sticky' })
    const first = await get(plan.httpPort, '/', 'pool.localhost')
    const cookie = String(first.headers['set-cookie']).split(';')[0]
    expect(cookie).toMatch(/^aerie_upstream=web%23[12]$/)
    const pinned = JSON.parse(first.body).id
    for (let i = 0; i < 4; i++) {
      const res = await get(plan.httpPort, '/', 'pool.localhost', { cookie })
      expect(JSON.parse(res.body).id).toBe(pinned)
      expect(res.headers['set-cookie']).toBeUndefined()
    }
  })

  it('sticky: a WebSocket upgrade with the cookie reaches the pinned instance', async () => {
    const ups = [await startUpstream('web#1'), await startUpstream('web#2')]
    started.push(...ups)
    for (const [i, up] of ups.entries()) {
      const wss = new WebSocketServer({ noServer: true })
      up.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', () => ws.send(`web#${i + 1}`))))
    }
    const { plan } = await proxyFor(ups, { loadBalancing: 'sticky' })
    for (const pinned of ['web#1', 'web#2']) {
      for (let i = 0; i < 4; i++) {
        const answer = await wsRoundTrip(`ws://127.0.0.1:${plan.httpPort}/hub`, 'hello', { headers: { host: 'pool.localhost', cookie: `aerie_upstream=${encodeURIComponent(pinned)}` } })
        expect(answer).toBe(pinned)
      }
    }
  })

  it('least-connections: a slow instance with requests in flight gets no new ones', async () => {
    const held: http.ServerResponse[] = []
    const slow = await startUpstream('web#1', (_req, res) => held.push(res))
    const fast = await startUpstream('web#2')
    started.push(slow, fast)
    const { plan } = await proxyFor([slow, fast], { loadBalancing: 'least-connections' })
    const pending = get(plan.httpPort, '/hold', 'pool.localhost')
    await waitFor(() => held.length === 1, 2000, 'the held request')
    for (let i = 0; i < 4; i++) expect(JSON.parse((await get(plan.httpPort, '/', 'pool.localhost')).body).id).toBe('web#2')
    held[0].end('{"id":"web#1"}')
    expect((await pending).status).toBe(200)
  })

  it('keeps connections to instances alive, and closes those of an instance a reload removes', async () => {
    const ups = [await startUpstream('web#1'), await startUpstream('web#2')]
    started.push(...ups)
    const { plan, traces, proxy } = await proxyFor(ups, {})
    for (let i = 0; i < 6; i++) expect((await get(plan.httpPort, '/', 'pool.localhost')).status).toBe(200)
    const connections = (u: TestUpstream) => new Promise<number>((r) => u.server.getConnections((_e, n) => r(n)))
    // Six sequential requests over two instances: one kept-alive connection each, reused.
    expect(await connections(ups[0])).toBe(1)
    expect(await connections(ups[1])).toBe(1)
    expect(traces.every((t) => t.timings?.connectMs !== undefined && t.timings.connectMs <= t.timings.ttfbMs!)).toBe(true)

    await proxy.reload({ ...plan, routes: [{ ...plan.routes[0], upstreams: [ups[1].upstream] }] })
    await waitFor(async () => (await connections(ups[0])) === 0, 2000, 'the removed instance to lose its connection')
    for (let i = 0; i < 3; i++) expect(JSON.parse((await get(plan.httpPort, '/', 'pool.localhost')).body).id).toBe('web#2')
    expect(await connections(ups[1])).toBe(1)
  })

  it('active health checks take a failing instance out and put it back when it recovers', async () => {
    let sick = false
    const flaky = await startUpstream('web#1', (req, res) => {
      if (req.url === '/healthz') res.writeHead(sick ? 503 : 200).end()
      else res.end('{"id":"web#1"}')
    })
    const steady = await startUpstream('web#2')
    started.push(flaky, steady)
    const { plan } = await proxyFor([flaky, steady], { healthCheck: { path: '/healthz', intervalMs: 100 } })
    sick = true
    await new Promise((r) => setTimeout(r, 350))
    for (let i = 0; i < 4; i++) expect(JSON.parse((await get(plan.httpPort, '/', 'pool.localhost')).body).id).toBe('web#2')
    sick = false
    await new Promise((r) => setTimeout(r, 350))
    const ids = new Set<string>()
    for (let i = 0; i < 4; i++) ids.add(JSON.parse((await get(plan.httpPort, '/', 'pool.localhost')).body).id)
    expect(ids).toEqual(new Set(['web#1', 'web#2']))
  })

  it('streams a 1 GiB download with bounded memory', async () => {
    const CHUNK = Buffer.alloc(1024 * 1024, 97)
    const TOTAL_MB = 1024
    const big = await startUpstream('big#1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL_MB * CHUNK.length })
      let sent = 0
      const pump = () => {
        while (sent < TOTAL_MB) {
          sent++
          if (!res.write(CHUNK)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    started.push(big)
    const { plan } = await proxyFor([big], {})
    global.gc?.()
    const before = process.memoryUsage().rss
    let peak = before
    const received = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: plan.httpPort, path: '/', headers: { host: 'pool.localhost' } }, (res) => {
        let n = 0
        res.on('data', (c: Buffer) => {
          n += c.length
          peak = Math.max(peak, process.memoryUsage().rss)
        })
        res.on('end', () => resolve(n))
      }).on('error', reject)
    })
    expect(received).toBe(TOTAL_MB * CHUNK.length)
    // Upstream, proxy and client share this process: 1 GiB passed through, far less stayed.
    expect((peak - before) / 1024 / 1024).toBeLessThan(150)
  })

  it('names an instance that closes the connection during an upload (an early 413) instead of a bare 502', async () => {
    const refusing = await startUpstream('web#1', (_req, res) => {
      res.writeHead(413, { connection: 'close' })
      res.end('too large')
    })
    started.push(refusing)
    // No body limit here: the instance itself refuses the upload.
    const { plan } = await proxyFor([refusing], { maxBodySize: 0 })
    const size = 32 * 1024 * 1024
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: plan.httpPort, method: 'POST', path: '/upload', headers: { host: 'pool.localhost', 'content-length': size } }, (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      })
      req.on('error', reject)
      const chunk = Buffer.alloc(64 * 1024)
      let sent = 0
      const pump = () => {
        while (sent < size && !req.destroyed) {
          sent += chunk.length
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    // Which comes first, the 413 or the broken pipe, is up to the kernel; either way the user learns why.
    if (answer.status === 413) expect(answer.body).toBe('too large')
    else {
      expect(answer.status).toBe(502)
      expect(answer.body).toContain('closed the connection while the request body was being sent')
    }
  })

  it('streams a 512 MiB upload to the instance with bounded memory', async () => {
    const MB = 1024 * 1024
    const TOTAL_MB = 512
    const sink = await startUpstream('sink#1', (req, res) => {
      let n = 0
      req.on('data', (c: Buffer) => (n += c.length))
      req.on('end', () => res.end(JSON.stringify({ received: n })))
    })
    started.push(sink)
    const { plan, traces } = await proxyFor([sink], { maxBodySize: 0 })
    const chunk = Buffer.alloc(MB, 98)
    const before = process.memoryUsage().rss
    let peak = before
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: plan.httpPort, method: 'POST', path: '/upload', headers: { host: 'pool.localhost', 'content-type': 'application/octet-stream' } }, (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      let sent = 0
      const pump = () => {
        while (sent < TOTAL_MB) {
          sent++
          peak = Math.max(peak, process.memoryUsage().rss)
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    expect(JSON.parse(body).received).toBe(TOTAL_MB * MB)
    expect((peak - before) / MB).toBeLessThan(150)
    await waitFor(() => traces.some((t) => t.path === '/upload'), 2000, 'the upload trace')
    expect(traces.find((t) => t.path === '/upload')!.requestBytes).toBe(TOTAL_MB * MB)
  })
})
