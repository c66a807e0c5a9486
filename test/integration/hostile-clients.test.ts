import fs from 'node:fs'
import http2 from 'node:http2'
import net from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Trace } from '../../src-main/contract.js'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import type { ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { connectH2, FLAG, frame, FRAME, headerBlock, rstStream } from '../support/h2-frames.js'
import { get } from '../support/http-client.js'
import { waitFor } from '../support/processes.js'
import { raw } from '../support/raw-client.js'
import { tempHome } from '../support/temp-home.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

/** The stack's client header timeout here: short, so that slow-header clients are cut within the test. */
const HEADERS_MS = 1_500

describe('built-in proxy against hostile clients (raw bytes)', () => {
  const home = tempHome()
  const traces: Trace[] = []
  const hooks = { log: () => undefined, trace: (t: Trace) => traces.push(t) }
  let ca: LocalCA
  let app: TestUpstream
  /** Takes requests and never answers; counts the ones whose connection is still open, and how uploads ended. */
  let hold: TestUpstream
  let held = 0
  const uploads: string[] = []
  let proxy: RunningProxy
  let plan: ProxyPlan
  const host = 'app.localhost'
  const www = path.join(home.dir, 'www')

  beforeAll(async () => {
    ca = await LocalCA.create(path.join(home.dir, 'ca'))
    const leaf = await ca.issueLeaf([host, 'localhost', '127.0.0.1'])
    app = await startUpstream('web#1', (req, res) => {
      // As ASP.NET Core's MapStaticAssets can: a single-value field sent twice.
      if (req.url === '/two-etags') res.setHeader('etag', ['"a"', '"b"'])
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ url: req.url, headers: req.headers }))
    })
    hold = await startUpstream('hold#1', (req, res) => {
      held++
      res.on('close', () => held--)
      req.on('data', () => undefined)
      req.on('end', () => uploads.push(`complete ${req.url}`))
      req.on('aborted', () => uploads.push(`aborted ${req.url}`))
    })
    fs.mkdirSync(path.join(www, '.git'), { recursive: true })
    fs.mkdirSync(path.join(www, '.well-known'))
    fs.writeFileSync(path.join(www, 'hello.txt'), 'hello')
    fs.writeFileSync(path.join(www, '.env'), 'SECRET=1')
    fs.writeFileSync(path.join(www, '.git', 'config'), '[core]')
    fs.writeFileSync(path.join(www, '.well-known', 'security.txt'), 'Contact: me')
    fs.writeFileSync(path.join(home.dir, 'outside.txt'), 'outside the folder')
    fs.symlinkSync(path.join(home.dir, 'outside.txt'), path.join(www, 'escape.txt'))
    fs.symlinkSync('/etc', path.join(www, 'etc'))
    fs.symlinkSync('hello.txt', path.join(www, 'alias.txt'))
    plan = {
      stackId: 'app',
      listenHost: '127.0.0.1',
      httpPort: await findFreePort(),
      httpsPort: await findFreePort(),
      tls: { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
      hostnames: [host],
      routes: [
        { pathPrefix: '/', appServer: 'web', upstreams: [app.upstream] },
        { pathPrefix: '/hold', appServer: 'hold', upstreams: [hold.upstream] },
        { pathPrefix: '/static', staticDir: www, upstreams: [] },
      ],
      settings: defaultSettings({ timeouts: { clientHeadersMs: HEADERS_MS, idleMs: 60_000, upstreamConnectMs: 1_000, upstreamResponseMs: 60_000 } }),
    }
    proxy = await builtinProxyDriver.start(plan, hooks)
  })
  afterAll(async () => {
    await proxy.stop()
    await Promise.all([app.close(), hold.close()])
    home.cleanup()
  })

  it('answers an HTTP/1 request line naming HTTP/2.0 with 505 on both listeners, forwards nothing and keeps serving', async () => {
    const before = app.hits
    const request = `GET / HTTP/2.0\r\nHost: ${host}\r\n\r\n`
    expect(await raw(plan.httpPort, request)).toMatch(/^HTTP\/1\.1 505 /)
    expect(await raw(plan.httpsPort!, request, { tls: { servername: host, ca: ca.certPem } })).toMatch(/^HTTP\/1\.1 505 /)
    expect(await raw(plan.httpPort, `GET /chat HTTP/2.0\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)).toMatch(/^HTTP\/1\.1 505 /)
    expect(app.hits).toBe(before)
    await waitFor(() => traces.filter((t) => t.status === 505).length >= 2, 2_000, 'the 505 traces')
    expect((await get(plan.httpPort, '/', host)).status).toBe(200)
  })

  it('cancels the upstream request of every HTTP/2 stream the client resets (no connection held)', async () => {
    const sessions = Array.from({ length: 5 }, () => http2.connect(`https://127.0.0.1:${plan.httpsPort}`, { ca: ca.certPem, servername: host }))
    const streams = sessions.flatMap((session) =>
      Array.from({ length: 100 }, (_, i) => session.request({ ':path': `/hold/${i}`, ':authority': host }).on('error', () => undefined)),
    )
    await waitFor(() => held === 500, 10_000, '500 requests held by the app')
    for (const stream of streams) stream.close(http2.constants.NGHTTP2_CANCEL)
    await waitFor(() => held === 0, 5_000, `the held requests to be cancelled (${held} still open)`)
    expect((await get(plan.httpPort, '/', host)).status).toBe(200)
    for (const session of sessions) session.close()
  })

  it('an HTTP/2 upload cut off by RST_STREAM reaches the app as aborted, never as a complete request', async () => {
    uploads.length = 0
    const socket = await connectH2(plan.httpsPort!, host, ca.certPem)
    socket.on('data', () => undefined)
    const block = headerBlock([[':method', 'POST'], [':scheme', 'https'], [':path', '/hold/upload'], [':authority', host]])
    for (let id = 1; id <= 39; id += 2) socket.write(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, block))
    for (let id = 1; id <= 39; id += 2) socket.write(frame(FRAME.DATA, 0, id, Buffer.from('part of a body')))
    await waitFor(() => held === 20, 5_000, '20 uploads started at the app')
    for (let id = 1; id <= 39; id += 2) socket.write(rstStream(id))
    await waitFor(() => uploads.length === 20, 5_000, 'the 20 uploads to end at the app')
    socket.destroy()
    expect(uploads.filter((u) => u.startsWith('complete'))).toEqual([])
  })

  it('relays a refused WebSocket upgrade and closes the connection: the next bytes never reach the app', async () => {
    const before = app.hits
    const out = await raw(
      plan.httpPort,
      `GET /chat HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n` +
        `GET /smuggled HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n`,
    )
    expect(out).toMatch(/^HTTP\/1\.1 200 /)
    expect(out.toLowerCase()).toContain('connection: close')
    expect(out).not.toContain('/smuggled')
    await new Promise((r) => setTimeout(r, 200))
    expect(app.hits).toBe(before + 1)
  })

  it('serves no dotfile and no symbolic link whose target leaves the folder', async () => {
    const status = async (p: string) => (await get(plan.httpPort, p, host)).status
    expect(await status('/static/.env')).toBe(404)
    expect(await status('/static/.git/config')).toBe(404)
    expect(await status('/static/escape.txt')).toBe(403)
    const passwd = await get(plan.httpPort, '/static/etc/passwd', host)
    expect(passwd.status).toBe(403)
    expect(passwd.body).not.toContain('root:')
    expect(await status('/static/alias.txt')).toBe(200)
    expect(await status('/static/.well-known/security.txt')).toBe(200)
  })

  it('refuses two Host headers, answers OPTIONS * itself, and routes an absolute-form target by its authority', async () => {
    const before = app.hits
    expect(await raw(plan.httpPort, `GET / HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 [^]*more than one Host header/)
    const options = await raw(plan.httpPort, `OPTIONS * HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    expect(options).toMatch(/^HTTP\/1\.1 204 /)
    expect(options.toLowerCase()).toContain('allow: get, head, post')
    expect(await raw(plan.httpPort, `GET * HTTP/1.1\r\nHost: ${host}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /)
    expect(app.hits).toBe(before)
    const absolute = await raw(plan.httpPort, `GET http://${host}/abs?x=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`)
    expect(absolute).toMatch(/^HTTP\/1\.1 200 /)
    expect(absolute).toContain('"url":"/abs?x=1"')
    expect(absolute).toContain(`"host":"${host}"`)
  })

  it('traces requests for host names no stack serves', async () => {
    traces.length = 0
    expect((await get(plan.httpPort, '/who', 'nobody.localhost')).status).toBe(404)
    await waitFor(() => traces.some((t) => t.host === 'nobody.localhost'), 2_000, 'the unknown host trace')
    expect(traces.find((t) => t.host === 'nobody.localhost')).toMatchObject({ status: 404, path: '/who', stackId: 'app' })
  })

  it('cuts a client that sends its headers too slowly on both listeners (slowloris), within the header timeout', async () => {
    const slow = (tlsOptions?: { servername: string; ca: string }) =>
      new Promise<number>((resolve, reject) => {
        const started = Date.now()
        const onConnect = () => {
          socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n`)
          drip = setInterval(() => socket.write(`X-Drip-${Date.now()}: 1\r\n`), 200)
        }
        let drip: NodeJS.Timeout | undefined
        const socket = tlsOptions
          ? tls.connect({ port: plan.httpsPort!, host: '127.0.0.1', ...tlsOptions, ALPNProtocols: ['http/1.1'] }, onConnect)
          : net.connect(plan.httpPort, '127.0.0.1', onConnect)
        socket.on('data', () => undefined)
        socket.on('error', () => undefined)
        socket.on('close', () => {
          clearInterval(drip)
          resolve(Date.now() - started)
        })
        setTimeout(() => reject(new Error('still connected after 10 s')), 10_000)
      })
    const [plain, secure] = await Promise.all([slow(), slow({ servername: host, ca: ca.certPem })])
    for (const ms of [plain, secure]) {
      expect(ms).toBeGreaterThanOrEqual(HEADERS_MS - 100)
      expect(ms).toBeLessThan(HEADERS_MS + 2_500)
    }
  })

  it('announces 128 concurrent HTTP/2 streams per connection (SETTINGS) and serves that many at once', async () => {
    const session = http2.connect(`https://127.0.0.1:${plan.httpsPort}`, { ca: ca.certPem, servername: host, peerMaxConcurrentStreams: 1_000 })
    await new Promise((r) => session.once('remoteSettings', r))
    expect(session.remoteSettings.maxConcurrentStreams).toBe(128)
    const streams = Array.from({ length: 128 }, (_, i) => session.request({ ':path': `/hold/limit-${i}`, ':authority': host }).on('error', () => undefined))
    await waitFor(() => held >= 128, 10_000, '128 held streams')
    for (const stream of streams) stream.close(http2.constants.NGHTTP2_CANCEL)
    await waitFor(() => held === 0, 5_000, 'the held streams to be cancelled')
    session.close()
  })

  it('sends an answer with two ETag headers over HTTP/2 with one, and the connection lives on', async () => {
    const session = http2.connect(`https://127.0.0.1:${plan.httpsPort}`, { ca: ca.certPem, servername: host })
    const fetch = (p: string) =>
      new Promise<{ status: number; etag: unknown }>((resolve, reject) => {
        const stream = session.request({ ':path': p, ':authority': host })
        stream.on('response', (headers) => resolve({ status: Number(headers[':status']), etag: headers.etag }))
        stream.on('error', reject)
        stream.resume()
      })
    expect(await fetch('/two-etags')).toEqual({ status: 200, etag: '"a"' })
    expect((await fetch('/after')).status).toBe(200)
    expect(session.destroyed).toBe(false)
    session.close()
  })
})
