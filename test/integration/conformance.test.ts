import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import { proxyDriver } from '../../src-main/core/proxy/proxy-drivers.js'
import type { ProxyDriver, ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { CASES } from '../conformance/cases.js'
import { DIFFERENCES } from '../conformance/differences.js'
import { startFixture, type Fixture } from '../conformance/fixture.js'
import { renderParityTable, type Results } from '../conformance/parity-table.js'
import { requireBinary } from '../support/binaries.js'
import { tempHome } from '../support/temp-home.js'

const ENGINES: { kind: string; label: string; binary?: string }[] = [
  { kind: 'builtin', label: 'built-in' },
  { kind: 'nginx', label: 'nginx 1.22', binary: 'nginx' },
  { kind: 'apache', label: 'Apache 2.4', binary: 'apache2' },
  { kind: 'caddy', label: 'Caddy 2.6', binary: 'caddy' },
]

const home = tempHome('aerie-conformance-')
const results: Results = {}
const missing: string[] = []
let fixture: Fixture

beforeAll(async () => {
  fixture = await startFixture(home.dir)
})
afterAll(async () => {
  await fixture.close()
  fs.mkdirSync('docs', { recursive: true })
  fs.writeFileSync(path.join('docs', 'parity.md'), renderParityTable(CASES, ENGINES, results, missing))
  home.cleanup()
})

for (const engine of ENGINES) {
  const present = !engine.binary || requireBinary(engine.binary)
  if (!present) missing.push(engine.label)
  describe.skipIf(!present)(`conformance: ${engine.label}`, () => {
    let proxy: RunningProxy
    let plan: ProxyPlan
    const driver: ProxyDriver = engine.kind === 'builtin' ? builtinProxyDriver : proxyDriver(engine.kind)
    beforeAll(async () => {
      plan = await fixture.plan(path.join(home.dir, engine.kind))
      proxy = await driver.start(plan, { log: () => undefined, trace: () => undefined })
      results[engine.kind] = {}
    }, 60_000)
    afterAll(async () => {
      await proxy?.stop()
    })
    for (const c of CASES) {
      it(c.id, async () => {
        const observed = await c.run({ plan, ca: fixture.ca.certPem })
        results[engine.kind][c.id] = observed
        if (engine.kind === 'builtin') return
        const reference = results.builtin?.[c.id]
        expect(reference, 'the built-in proxy runs first and sets the reference').toBeDefined()
        const reason = DIFFERENCES[engine.kind]?.[c.id]
        if (reason) expect(observed, `${engine.kind} is listed as differing on ${c.id} (${reason}) but no longer does: remove the entry`).not.toBe(reference)
        else expect(observed, `${engine.kind} differs from the built-in proxy on ${c.id} with no reason in differences.ts`).toBe(reference)
      }, 60_000)
    }
  })
}
