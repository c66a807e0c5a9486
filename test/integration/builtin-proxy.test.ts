import fs from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { Trace } from '../../src-main/contract.js'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import type { ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { get } from '../support/http-client.js'
import { raw } from '../support/raw-client.js'
import { waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'
import { wsRoundTrip } from '../support/ws-round-trip.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

describe('built-in proxy (real upstreams, real clients)', () => {
  const home = tempHome()
  const traces: Trace[] = []
  const logs: string[] = []
  const hooks = { log: (l: string[]) => logs.push(...l), trace: (t: Trace) => traces.push(t) }
  let ca: LocalCA
  let a: TestUpstream
  let b: TestUpstream
  let slow: TestUpstream
  let echo: TestUpstream
  let proxy: RunningProxy
  let plan: ProxyPlan
  const staticDir = path.join(home.dir, 'www')

  beforeAll(async () => {
    ca = await LocalCA.create(path.join(home.dir, 'ca'))
    const leaf = await ca.issueLeaf(['app.localhost', 'localhost', '127.0.0.1'])
    a = await startUpstream('web#1')
    b = await startUpstream('web#2')
    slow = await startUpstream('slow#1', () => {})
    echo = await startUpstream('echo#1', (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => res.end(JSON.stringify({ body: Buffer.concat(chunks).toString(), framing: req.headers['content-length'] ? 'length' : req.headers['transfer-encoding'] })))
    })
    fs.mkdirSync(staticDir)
    fs.writeFileSync(path.join(staticDir, 'hello.txt'), 'hello, static world\n'.repeat(100))
    fs.writeFileSync(path.join(home.dir, 'secret.txt'), 'do not serve')
    plan = {
      stackId: 'app',
      listenHost: '127.0.0.1',
      httpPort: await findFreePort(),
      httpsPort: await findFreePort(),
      tls: { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
      hostnames: ['app.localhost'],
      routes: [
        { pathPrefix: '/', appServer: 'web', upstreams: [a.upstream, b.upstream] },
        { pathPrefix: '/slow', appServer: 'slow', upstreams: [slow.upstream] },
        { pathPrefix: '/echo', appServer: 'echo', upstreams: [echo.upstream] },
        { pathPrefix: '/static', staticDir, upstreams: [] },
      ],
      settings: defaultSettings({ timeouts: { clientHeadersMs: 30_000, idleMs: 60_000, upstreamConnectMs: 1_000, upstreamResponseMs: 500 } }),
    }
    proxy = await builtinProxyDriver.start(plan, hooks)
  })
  afterAll(async () => {
    await proxy.stop()
    await Promise.all([a.close(), b.close(), slow.close(), echo.close()])
    home.cleanup()
  })

  const host = () => `app.localhost:${plan.httpPort}`

  it('spreads requests round-robin and forwards the client scheme, host and address', async () => {
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const body = JSON.parse((await get(plan.httpPort, '/x', host(), { 'x-forwarded-for': '203.0.113.9' })).body)
      ids.push(body.id)
      expect(body.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1')
      expect(body.headers['x-forwarded-proto']).toBe('http')
      expect(body.headers['x-forwarded-host']).toBe(host())
      expect(body.headers.host).toBe(host())
      expect(body.headers.connection).toBe('keep-alive')
    }
    expect(ids.filter((i) => i === 'web#1')).toHaveLength(3)
    expect(ids.filter((i) => i === 'web#2')).toHaveLength(3)
  })

  it('speaks HTTP/2 over TLS (ALPN h2) with a certificate that verifies against the local CA, and HTTP/1.1 too', async () => {
    const client = http2.connect(`https://127.0.0.1:${plan.httpsPort}`, { ca: ca.certPem, servername: 'app.localhost' })
    const body = await new Promise<string>((resolve, reject) => {
      const req = client.request({ ':path': '/h2', ':authority': `app.localhost:${plan.httpsPort}` })
      let data = ''
      req.on('data', (d) => (data += d))
      req.on('end', () => resolve(data))
      req.on('error', reject)
    })
    client.close()
    const parsed = JSON.parse(body)
    expect(parsed.headers['x-forwarded-proto']).toBe('https')
    expect(parsed.headers.host).toBe(`app.localhost:${plan.httpsPort}`)
    await waitFor(() => traces.some((t) => t.path === '/h2'), 2000, 'the h2 trace')
    const t = traces.find((x) => x.path === '/h2')!
    expect(t).toMatchObject({ protocol: 'HTTP/2', tls: 'TLSv1.3', status: 200 })
    expect(t.timings!.tlsMs).toBeGreaterThan(0)

    // An HTTP/2 request body has no length up front: it reaches the instance chunked, whole.
    const posted = await new Promise<string>((resolve, reject) => {
      const c = http2.connect(`https://127.0.0.1:${plan.httpsPort}`, { ca: ca.certPem, servername: 'app.localhost' })
      const req = c.request({ ':method': 'POST', ':path': '/echo', ':authority': `app.localhost:${plan.httpsPort}` })
      let data = ''
      req.on('data', (d) => (data += d))
      req.on('end', () => {
        c.close()
        resolve(data)
      })
      req.on('error', reject)
      req.write('hello ')
      setTimeout(() => req.end('over h2'), 20)
    })
    expect(JSON.parse(posted)).toEqual({ body: 'hello over h2', framing: 'chunked' })

    const h1 = await new Promise<number>((resolve, reject) =>
      https.get({ host: '127.0.0.1', port: plan.httpsPort, path: '/h1', servername: 'app.localhost', headers: { host: 'app.localhost' }, ca: ca.certPem, agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject),
    )
    expect(h1).toBe(200)
  })

  it('records traces with sizes, timings, masked secrets and the upstream', async () => {
    traces.length = 0
    const res = await get(plan.httpPort, '/traced?q=1', host(), { authorization: 'Bearer top-secret', cookie: 'sid=abc' })
    // Traces come from the proxy's process in batches: an earlier test's may still arrive.
    await waitFor(() => traces.some((x) => x.path === '/traced?q=1'), 2000, 'a trace')
    const t = traces.find((x) => x.path === '/traced?q=1')!
    expect(t).toMatchObject({ method: 'GET', host: 'app.localhost', path: '/traced?q=1', status: 200, client: '127.0.0.1' })
    expect(t.upstream).toMatch(/^web#[12]$/)
    expect(t.responseBytes).toBe(Buffer.byteLength(res.body))
    expect(t.timings!.ttfbMs).toBeGreaterThan(0)
    expect(t.timings!.totalMs).toBeGreaterThanOrEqual(t.timings!.ttfbMs!)
    expect(t.requestHeaders).toMatchObject({ authorization: 'Bearer ***', cookie: 'sid=***' })
    expect(t.responseHeaders!['content-type']).toBe('application/json')
    expect(t.traceId).toMatch(/^[0-9a-f]{32}$/)

    // A HEAD answer announces a length but carries no body: the trace counts what was sent.
    traces.length = 0
    await new Promise<void>((resolve, reject) => http.request({ host: '127.0.0.1', port: plan.httpPort, method: 'HEAD', path: '/head', headers: { host: host() } }, (r) => r.resume().on('end', resolve)).on('error', reject).end())
    await waitFor(() => traces.length > 0, 2000, 'the HEAD trace')
    expect(traces[0]).toMatchObject({ method: 'HEAD', status: 200, responseBytes: 0 })
  })

  it('forwards a body sent after Expect: 100-continue (as curl does for large uploads)', async () => {
    const body = 'x'.repeat(64 * 1024)
    const answer = await new Promise<{ status: number; text: string; continued: boolean }>((resolve, reject) => {
      let continued = false
      const req = http.request({ host: '127.0.0.1', port: plan.httpPort, method: 'POST', path: '/upload', headers: { host: host(), expect: '100-continue', 'content-length': body.length } })
      req.on('continue', () => {
        continued = true
        req.end(body)
      })
      req.on('response', (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode!, text, continued }))
      })
      req.on('error', reject)
    })
    expect(answer.continued).toBe(true)
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text).url).toBe('/upload')
  })

  it('gives a 504 naming the instance when the upstream does not answer in time', async () => {
    const res = await get(plan.httpPort, '/slow/x', host())
    expect(res.status).toBe(504)
    expect(res.body).toContain('slow#1')
    expect(res.body).toContain('no response within 500 ms')
  })

  it('refuses malformed requests with 400 (431 for oversized headers) and never forwards them', async () => {
    const before = a.hits + b.hits
    const cases = [
      `POST / HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST / HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
      `GET / HTTP/1.1\r\nHost: ${host()}\r\nX-Bad: a\u0001b\r\n\r\n`,
    ]
    for (const c of cases) expect(await raw(plan.httpPort, c)).toMatch(/^HTTP\/1\.1 400 /)
    expect(await raw(plan.httpPort, `GET / HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /)
    expect(a.hits + b.hits).toBe(before)
  })

  it('serves static files with types, ETag, 304, ranges, and refuses to leave the folder', async () => {
    const first = await get(plan.httpPort, '/static/hello.txt', host(), { 'accept-encoding': 'identity' })
    expect(first.status).toBe(200)
    expect(first.headers['content-type']).toBe('text/plain; charset=utf-8')
    const etag = first.headers.etag as string
    expect((await get(plan.httpPort, '/static/hello.txt', host(), { 'if-none-match': etag })).status).toBe(304)
    const part = await get(plan.httpPort, '/static/hello.txt', host(), { range: 'bytes=0-4' })
    expect(part.status).toBe(206)
    expect(part.body).toBe('hello')
    expect(part.headers['content-range']).toBe(`bytes 0-4/${'hello, static world\n'.length * 100}`)
    expect((await get(plan.httpPort, '/static/hello.txt', host(), { range: 'bytes=99999-' })).status).toBe(416)
    for (const p of ['/static/../secret.txt', '/static/%2e%2e/secret.txt', '/static/..%2fsecret.txt']) {
      const out = await raw(plan.httpPort, `GET ${p} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`)
      expect(out).not.toContain('do not serve')
      expect(out).toMatch(/^HTTP\/1\.1 (403|404) /)
    }
  })

  it('compresses with brotli or gzip when the client accepts it and the app did not', async () => {
    const raw = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve) =>
      http.get({ host: '127.0.0.1', port: plan.httpPort, path: '/static/hello.txt', headers: { host: host(), 'accept-encoding': 'gzip, br' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }))
      }),
    )
    // Static files are served as they are (no on-the-fly compression); app responses are compressed.
    expect(raw.headers['content-encoding']).toBeUndefined()
    const big = await startUpstream('big#1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<p>compress me</p>'.repeat(1000))
    })
    const bigPlan = { ...plan, stackId: 'big', hostnames: ['big.localhost'], httpsPort: undefined, tls: undefined, httpPort: await findFreePort(), routes: [{ pathPrefix: '/', appServer: 'big', upstreams: [big.upstream] }] }
    const bigProxy = await builtinProxyDriver.start(bigPlan, hooks)
    for (const [encoding, decode] of [['br', zlib.brotliDecompressSync], ['gzip', zlib.gunzipSync]] as const) {
      const res = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve) =>
        http.get({ host: '127.0.0.1', port: bigPlan.httpPort, path: '/', headers: { host: 'big.localhost', 'accept-encoding': encoding } }, (r) => {
          const chunks: Buffer[] = []
          r.on('data', (c) => chunks.push(c))
          r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }))
        }),
      )
      expect(res.headers['content-encoding']).toBe(encoding)
      expect(res.headers.vary).toBe('Accept-Encoding')
      expect(res.body.length).toBeLessThan(2000)
      expect(decode(res.body).toString()).toBe('<p>compress me</p>'.repeat(1000))
    }
    await bigProxy.stop()
    await big.close()
  })

  it('tunnels a WebSocket to an instance and echoes through it', async () => {
    const wsUpstream = await startUpstream('ws#1')
    const wss = new WebSocketServer({ server: wsUpstream.server })
    wss.on('connection', (socket, req) => socket.on('message', (m) => socket.send(`echo ${m} via ${req.headers['x-forwarded-proto']}`)))
    const wsPlan = { ...plan, stackId: 'ws', hostnames: ['ws.localhost'], httpsPort: undefined, tls: undefined, httpPort: await findFreePort(), routes: [{ pathPrefix: '/', appServer: 'ws', upstreams: [wsUpstream.upstream] }] }
    const wsProxy = await builtinProxyDriver.start(wsPlan, hooks)
    expect(await wsRoundTrip(`ws://127.0.0.1:${wsPlan.httpPort}/chat`, 'hi', { headers: { host: 'ws.localhost' } })).toBe('echo hi via http')
    await waitFor(() => traces.some((t) => t.stackId === 'ws' && t.status === 101), 3000, 'the 101 trace')
    await wsProxy.stop()
    wss.close()
    await wsUpstream.close()
  })

  it('tunnels a secure WebSocket (wss) over the TLS listener, with the https scheme forwarded', async () => {
    for (const u of [a, b]) new WebSocketServer({ server: u.server }).on('connection', (s, req) => s.on('message', (m) => s.send(`echo ${m} via ${req.headers['x-forwarded-proto']}`)))
    const reply = await wsRoundTrip(`wss://127.0.0.1:${plan.httpsPort}/secure`, 'hi', { headers: { host: `app.localhost:${plan.httpsPort}` }, ca: ca.certPem, servername: 'app.localhost' })
    expect(reply).toBe('echo hi via https')
  })

  it('lets two stacks share one port by host name, each with its own certificate (SNI)', async () => {
    const other = await startUpstream('other#1')
    const otherLeaf = await ca.issueLeaf(['other.localhost'])
    const otherPlan: ProxyPlan = { ...plan, stackId: 'other', hostnames: ['other.localhost'], tls: { certPem: otherLeaf.certPem, keyPem: otherLeaf.keyPem }, routes: [{ pathPrefix: '/', appServer: 'other', upstreams: [other.upstream] }] }
    const otherProxy = await builtinProxyDriver.start(otherPlan, hooks)
    expect(JSON.parse((await get(plan.httpPort, '/', `other.localhost:${plan.httpPort}`)).body).id).toBe('other#1')
    expect(JSON.parse((await get(plan.httpPort, '/', host())).body).id).toMatch(/^web#/)
    const unknown = await get(plan.httpPort, '/', 'nobody.localhost')
    expect(unknown.status).toBe(404)
    expect(unknown.body).toContain('app.localhost')
    expect(unknown.body).toContain('other.localhost')
    const cn = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: plan.httpsPort!, servername, ca: ca.certPem, ALPNProtocols: ['http/1.1'] }, () => {
          resolve(String(s.getPeerCertificate().subject.CN))
          s.end()
        })
        s.on('error', reject)
      })
    expect(await cn('other.localhost')).toBe('other.localhost')
    expect(await cn('app.localhost')).toBe('app.localhost')
    const clash = await builtinProxyDriver.start({ ...otherPlan, stackId: 'clash' }, hooks).catch((e: Error) => e)
    expect(String(clash)).toContain('other.localhost on port')
    await otherProxy.stop()
    await other.close()
    expect((await get(plan.httpPort, '/', `other.localhost:${plan.httpPort}`)).status).toBe(404)
  })

  it('redirects HTTP to HTTPS when asked', async () => {
    await proxy.reload({ ...plan, settings: { ...plan.settings, redirectToHttps: true } })
    const res = await get(plan.httpPort, '/path?x=1', host())
    expect(res.status).toBe(308)
    expect(res.headers.location).toBe(`https://app.localhost:${plan.httpsPort}/path?x=1`)
    await proxy.reload(plan)
  })

  it('retries on another instance when one dies, ejects it, and names it in the 502 when none is left', async () => {
    logs.length = 0
    await b.close()
    for (let i = 0; i < 6; i++) {
      const res = await get(plan.httpPort, '/after-kill', host())
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body).id).toBe('web#1')
    }
    expect(logs.some((l) => l.includes('retrying GET /after-kill on another instance'))).toBe(true)
    expect(logs.some((l) => l.includes('web#2 ejected for 10000 ms after 3 failed connections'))).toBe(true)
    // The retried request's trace says so, and keeps one trace id across its attempts (the app sees the last span).
    await waitFor(() => traces.some((t) => t.path === '/after-kill' && t.retries === 1), 2000, 'the retried trace')
    const retried = traces.find((t) => t.path === '/after-kill' && t.retries === 1)!
    expect(retried).toMatchObject({ upstream: 'web#1', route: '/ → web', traceId: expect.stringMatching(/^[0-9a-f]{32}$/), spanId: expect.stringMatching(/^[0-9a-f]{16}$/) })
    await a.close()
    ;(a as unknown as { crash: () => void }).crash()
    // Instance states reach the proxy's process within its sync interval (100 ms).
    await new Promise((r) => setTimeout(r, 300))
    const res = await get(plan.httpPort, '/none', host())
    expect(res.status).toBe(502)
    expect(res.body).toContain('web#1 (port')
    expect(res.body).toContain('is crashed — exited with code 1')
  })
})
