import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import { proxyDriver } from '../../src-main/core/proxy/proxy-drivers.js'
import type { ProxyDriver, ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import type { Trace } from '../../src-main/contract.js'
import { CASES, get } from '../conformance/cases.js'
import { DIFFERENCES } from '../conformance/differences.js'
import { runApacheExport, runCaddyExport, runNginxExport, runYarpExport, type RunningExport } from '../conformance/exports.js'
import { REWRITES, startFixture, type Fixture } from '../conformance/fixture.js'
import { YARP_VERSION } from '../../src-main/core/proxy/export/yarp-host-program.js'
import { renderParityTable, type Results } from '../conformance/parity-table.js'
import { requireBinary } from '../support/binaries.js'
import { tempHome } from '../support/temp-home.js'

const ENGINES: { kind: string; label: string; binary?: string }[] = [
  { kind: 'builtin', label: 'built-in' },
  { kind: 'nginx', label: 'nginx 1.22', binary: 'nginx' },
  { kind: 'apache', label: 'Apache 2.4', binary: 'apache2' },
  { kind: 'caddy', label: 'Caddy 2.6', binary: 'caddy' },
]
/** Production exports run for real, asked over HTTPS (they redirect plain HTTP). */
const EXPORTS: { kind: string; label: string; binary: string; run: typeof runNginxExport }[] = [
  { kind: 'nginx-export', label: 'nginx export', binary: 'nginx', run: runNginxExport },
  { kind: 'apache-export', label: 'Apache export', binary: 'apache2', run: runApacheExport },
  { kind: 'caddy-export', label: 'Caddy export', binary: 'caddy', run: runCaddyExport },
  { kind: 'yarp-export', label: `YARP ${YARP_VERSION} export`, binary: 'dotnet', run: runYarpExport },
]

/** What each engine's trace says of a fresh answer asked for twice (Caddy 2.6 has no cache). */
const CACHE_VERDICTS: Record<string, [unknown, unknown]> = {
  builtin: ['Aerie; fwd=uri-miss; stored', expect.stringMatching(/^Aerie; hit; ttl=\d+$/)],
  nginx: ['nginx; MISS', 'nginx; HIT'],
  apache: ['Apache; MISS', 'Apache; HIT'],
  caddy: [undefined, undefined],
}

const home = tempHome('aerie-conformance-')
const results: Results = {}
const missing: string[] = []
let fixture: Fixture

beforeAll(async () => {
  fixture = await startFixture(home.dir)
})

/** Keeps what an engine did, and fails where it differs from the built-in proxy without a listed reason (or no longer differs with one). */
function record(kind: string, id: string, observed: string): void {
  ;(results[kind] ??= {})[id] = observed
  if (kind === 'builtin') return
  const reference = results.builtin?.[id]
  expect(reference, 'the built-in proxy runs first and sets the reference').toBeDefined()
  const reason = DIFFERENCES[kind]?.[id]
  if (reason) expect(observed, `${kind} is listed as differing on ${id} (${reason}) but no longer does: remove the entry`).not.toBe(reference)
  else expect(observed, `${kind} differs from the built-in proxy on ${id} with no reason in differences.ts`).toBe(reference)
}
afterAll(async () => {
  await fixture.close()
  fs.mkdirSync('docs', { recursive: true })
  fs.writeFileSync(path.join('docs', 'parity.md'), renderParityTable(CASES, [...ENGINES, ...EXPORTS], results, missing))
  home.cleanup()
})

for (const engine of ENGINES) {
  const present = !engine.binary || requireBinary(engine.binary)
  if (!present) missing.push(engine.label)
  describe.skipIf(!present)(`conformance: ${engine.label}`, () => {
    let proxy: RunningProxy
    let plan: ProxyPlan
    const traces: Trace[] = []
    const driver: ProxyDriver = engine.kind === 'builtin' ? builtinProxyDriver : proxyDriver(engine.kind)
    beforeAll(async () => {
      plan = await fixture.plan(path.join(home.dir, engine.kind))
      proxy = await driver.start(plan, { log: () => undefined, trace: (t) => void traces.push(t) })
    }, 60_000)
    afterAll(async () => {
      await proxy?.stop()
    })
    for (const c of CASES) {
      it(c.id, async () => {
        record(engine.kind, c.id, await c.run({ scheme: 'https', port: plan.httpsPort!, httpPort: plan.httpPort, httpsPort: plan.httpsPort!, ca: fixture.ca.certPem, instances: fixture.local }))
      }, 60_000)
    }
    it('a trace names the rewrite that applied, with the path the client asked for', async () => {
      const nonce = Math.random().toString(36).slice(2)
      const asked = [`/old/${nonce}?q=1`, `/moved/abc/${nonce.length}`, `/plain/${nonce}`]
      const t = { scheme: 'https' as const, port: plan.httpsPort!, httpPort: plan.httpPort, httpsPort: plan.httpsPort!, ca: fixture.ca.certPem, instances: fixture.local }
      for (const p of asked) await get(t, p)
      await expect.poll(() => asked.every((p) => traces.some((x) => x.path === p)), { timeout: 5_000 }).toBe(true)
      const traced = asked.map((p) => traces.find((x) => x.path === p)!.rewrite)
      expect(traced).toEqual([
        { rule: 1, match: REWRITES[0].match, target: `/api/${nonce}?q=1` },
        { rule: 2, match: REWRITES[1].match, target: `/new/${nonce.length}/abc`, redirect: 308 },
        undefined,
      ])
    })
    it('a trace says what the response cache did', async () => {
      const t = { scheme: 'https' as const, port: plan.httpsPort!, httpPort: plan.httpPort, httpsPort: plan.httpsPort!, ca: fixture.ca.certPem, instances: fixture.local }
      const asked = `/cache/fresh?trace-${Math.random().toString(36).slice(2)}`
      await get(t, asked)
      await get(t, asked)
      await expect.poll(() => traces.filter((x) => x.path === asked).length, { timeout: 5_000 }).toBe(2)
      const [first, second] = traces.filter((x) => x.path === asked).map((x) => x.cache)
      expect([first, second]).toEqual(CACHE_VERDICTS[engine.kind])
    })
  })
}

for (const target of EXPORTS) {
  const present = Boolean(requireBinary(target.binary))
  if (!present) missing.push(target.label)
  describe.skipIf(!present)(`conformance: ${target.label}`, () => {
    let running: RunningExport
    beforeAll(async () => {
      running = await target.run(fixture, path.join(home.dir, target.kind))
    }, 180_000)
    afterAll(async () => {
      await running?.stop()
    })
    for (const c of CASES) {
      it(c.id, async () => {
        record(target.kind, c.id, await c.run({ scheme: 'https', port: running.httpsPort, httpPort: running.httpPort, httpsPort: running.httpsPort, ca: fixture.ca.certPem, instances: running.instances }))
      }, 60_000)
    }
  })
}
