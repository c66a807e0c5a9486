import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import { proxyDriver } from '../../src-main/core/proxy/proxy-drivers.js'
import type { ProxyPlan, Upstream } from '../../src-main/core/proxy/proxy-driver.js'
import { canConnect, findFreePort } from '../../src-main/core/supervisor/ports.js'
import { chromiumLaunchOptions } from '../e2e/chromium.js'
import { requireBinary } from '../support/binaries.js'
import { buildDotnetProject, DOTNET_ENV } from '../support/dotnet-project.js'
import { waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'
import { defaultSettings } from '../support/upstreams.js'

const HOST = 'hub.localhost'
const FIXTURE = path.resolve('test/fixtures/sticky-hub')
const ENGINES = [
  { kind: 'builtin', binary: undefined },
  { kind: 'nginx', binary: 'nginx' },
  { kind: 'apache', binary: 'apache2' },
  { kind: 'caddy', binary: 'caddy' },
]

/**
 * A Kestrel app that needs what a Blazor Server / SignalR app needs from a proxy (sticky
 * sessions for its negotiate-then-WebSocket handshake, a script with two ETag headers, HTTP/2),
 * with two instances, loaded over HTTPS in Chromium through each engine.
 */
describe.skipIf(!requireBinary('dotnet') || !requireBinary('chromium'))('a SignalR-like Kestrel app in Chromium, on every engine', () => {
  const home = tempHome('aerie-hub-')
  const apps: ChildProcess[] = []
  let upstreams: Upstream[]
  let ca: LocalCA
  let leaf: { certPem: string; keyPem: string }
  let browser: Browser

  beforeAll(async () => {
    const files = Object.fromEntries(fs.readdirSync(FIXTURE).map((f) => [f, fs.readFileSync(path.join(FIXTURE, f), 'utf8')]))
    const dll = await buildDotnetProject('StickyHub', files)
    upstreams = []
    for (const n of [1, 2]) {
      const port = await findFreePort()
      apps.push(spawn('dotnet', [dll], { stdio: 'ignore', env: { ...process.env, ...DOTNET_ENV, ASPNETCORE_URLS: `http://127.0.0.1:${port}`, INSTANCE: `hub#${n}` } }))
      upstreams.push({ id: `hub#${n}`, host: '127.0.0.1', port, state: () => 'running', problem: () => undefined })
      await waitFor(() => canConnect(port), 30_000, `hub#${n} to listen`)
    }
    ca = await LocalCA.create(path.join(home.dir, 'ca'))
    leaf = await ca.issueLeaf([HOST])
    browser = await chromium.launch(chromiumLaunchOptions())
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    for (const app of apps) app.kill('SIGTERM')
    home.cleanup()
  })

  for (const engine of ENGINES) {
    it.skipIf(engine.binary !== undefined && !requireBinary(engine.binary))(`${engine.kind}: five negotiate-then-WebSocket rounds reach the instance that negotiated, over HTTP/2`, async () => {
      const plan: ProxyPlan = {
        stackId: `hub-${engine.kind}`,
        listenHost: '127.0.0.1',
        httpPort: await findFreePort(),
        httpsPort: await findFreePort(),
        tls: { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
        hostnames: [HOST],
        routes: [{ pathPrefix: '/', appServer: 'hub', upstreams }],
        settings: defaultSettings({ loadBalancing: 'sticky' }),
        workDir: path.join(home.dir, engine.kind),
        adminPort: await findFreePort(),
      }
      const driver = engine.kind === 'builtin' ? builtinProxyDriver : proxyDriver(engine.kind)
      const proxy = await driver.start(plan, { log: () => undefined, trace: () => undefined })
      // A fresh context per engine: no cookie carries over. The certificate is checked by the trust tests; here it is the protocol.
      const context = await browser.newContext({ ignoreHTTPSErrors: true })
      try {
        const page = await context.newPage()
        await page.goto(`https://${HOST}:${plan.httpsPort}/`)
        // Page-side code as strings: this file is type-checked for Node, without the DOM's types.
        await page.waitForFunction("document.getElementById('out').textContent !== 'working'", undefined, { timeout: 15_000 })
        const text = await page.locator('#out').textContent()
        expect(text).toMatch(/^asset loaded; (hello from hub#[12], ){4}hello from hub#[12]$/)
        expect(new Set(text!.match(/hub#[12]/g)).size).toBe(1)
        expect(await page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")).toBe('h2')
      } finally {
        await context.close()
        await proxy.stop()
      }
    }, 60_000)
  }
})
