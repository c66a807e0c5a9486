import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import type { ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { connectH2 } from '../support/h2-frames.js'
import { get } from '../support/http-client.js'
import { malformedHttp1, malformedHttp2, seededRandom } from '../support/malformed-requests.js'
import { waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

/** Bounded: a few thousand cases per run, each on its own loopback connection, none waiting longer than this. */
const HTTP1_CASES = 2_000
const HTTP2_CASES = 800
const PARALLEL = 16
const CASE_WAIT_MS = 400
/** AERIE_FUZZ_SEED replays a run; the default seed keeps CI deterministic. */
const SEED = Number(process.env.AERIE_FUZZ_SEED ?? 20261201)

const openFds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

/** Sends one case and waits for the server to close or for CASE_WAIT_MS. */
function sendCase(open: () => Promise<net.Socket>, payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    open().then(
      (socket) => {
        const timer = setTimeout(() => socket.destroy(), CASE_WAIT_MS)
        socket.on('data', () => undefined)
        socket.on('error', () => undefined)
        socket.on('close', () => {
          clearTimeout(timer)
          resolve()
        })
        socket.write(payload)
      },
      () => resolve(),
    )
  })
}

async function inParallel(count: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < count) await run(next++)
  }))
}

describe.skipIf(process.platform !== 'linux')('fuzzing the built-in proxy with malformed HTTP/1.1 and HTTP/2 (seeded, bounded)', () => {
  const home = tempHome()
  const logs: string[] = []
  const host = 'app.localhost'
  let ca: LocalCA
  let app: TestUpstream
  let proxy: RunningProxy
  let plan: ProxyPlan
  /** What reached the app that must not have: requests no proxy should forward, bytes its parser refused. */
  const violations: string[] = []

  beforeAll(async () => {
    ca = await LocalCA.create(path.join(home.dir, 'ca'))
    const leaf = await ca.issueLeaf([host])
    app = await startUpstream('web#1', (req, res) => {
      const problems = [
        !req.url?.startsWith('/') && `target ${req.url}`,
        req.url?.includes('smuggled') && `smuggled ${req.url}`,
        !/^app\.localhost(:\d+)?$/.test(req.headers.host ?? '') && `host ${req.headers.host}`,
        !String(req.headers['x-forwarded-for']).endsWith('127.0.0.1') && `x-forwarded-for ${req.headers['x-forwarded-for']}`,
      ].filter(Boolean)
      if (problems.length) violations.push(`${req.method} ${req.url}: ${problems.join(', ')}`)
      req.resume()
      req.on('end', () => res.end('ok'))
    })
    app.server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: net.Socket) => {
      // A reset, or an end in the middle of a body (HPE_INVALID_EOF_STATE), is the proxy cancelling a request
      // whose client left or cut its body short: the app sees it aborted. Any other parse error is bytes no proxy should send.
      if (err.code?.startsWith('HPE_') && err.code !== 'HPE_INVALID_EOF_STATE') violations.push(`the app's parser refused what the proxy sent (${err.code}): ${JSON.stringify(err.rawPacket?.toString('latin1').slice(0, 300))}`)
      socket.destroy()
    })
    plan = {
      stackId: 'fuzz',
      listenHost: '127.0.0.1',
      httpPort: await findFreePort(),
      httpsPort: await findFreePort(),
      tls: { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
      hostnames: [host],
      routes: [{ pathPrefix: '/', appServer: 'web', upstreams: [app.upstream] }],
      settings: defaultSettings({ timeouts: { clientHeadersMs: 2_000, idleMs: 5_000, upstreamConnectMs: 1_000, upstreamResponseMs: 5_000 } }),
    }
    proxy = await builtinProxyDriver.start(plan, { log: (l) => logs.push(...l), trace: () => undefined })
  })
  afterAll(async () => {
    await proxy.stop()
    await app.close()
    home.cleanup()
  })

  it(`stays up, forwards nothing unparseable, and returns to its file and memory baseline (seed ${SEED})`, async () => {
    const pid = proxy.pid!()!
    // Warm both listeners (TLS contexts, pools, JIT) before the baseline is taken.
    for (let i = 0; i < 20; i++) expect((await get(plan.httpPort, '/warm', host)).status).toBe(200)
    await inParallel(20, () => sendCase(() => connectH2(plan.httpsPort!, host, ca.certPem), Buffer.alloc(0)))
    await new Promise((r) => setTimeout(r, 500))
    const baseline = { fds: openFds(pid), rss: rssMb(pid) }

    const random = seededRandom(SEED)
    const http1 = Array.from({ length: HTTP1_CASES }, () => malformedHttp1(random, host))
    const http2 = Array.from({ length: HTTP2_CASES }, () => malformedHttp2(random, host))
    const plain = () => new Promise<net.Socket>((resolve, reject) => net.connect(plan.httpPort, '127.0.0.1').once('connect', function (this: net.Socket) { resolve(this) }).once('error', reject))
    await inParallel(http1.length, (i) => sendCase(plain, http1[i]))
    await inParallel(http2.length, (i) => sendCase(() => connectH2(plan.httpsPort!, host, ca.certPem), http2[i]))

    expect(proxy.pid!()).toBe(pid)
    expect(logs.filter((l) => l.includes('process exited') || l.includes('failed inside'))).toEqual([])
    expect(violations).toEqual([])
    expect((await get(plan.httpPort, '/after', host)).status).toBe(200)
    // Connections close, upstream keep-alive sockets time out (the proxy's 4 s idle limit, http1-connection.ts), and the counts come back.
    await waitFor(() => openFds(pid) <= baseline.fds + 4, 15_000, `file descriptors back to the baseline of ${baseline.fds} (now ${openFds(pid)})`)
    const rss = rssMb(pid)
    console.log(`fuzz seed ${SEED}: ${HTTP1_CASES} HTTP/1.1 + ${HTTP2_CASES} HTTP/2 cases; fds ${baseline.fds} → ${openFds(pid)}; RSS ${baseline.rss.toFixed(0)} → ${rss.toFixed(0)} MiB`)
    expect(rss).toBeLessThan(baseline.rss + 64)
  }, 180_000)
})

