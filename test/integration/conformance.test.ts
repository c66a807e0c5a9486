import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import { proxyDriver } from '../../src-main/core/proxy/proxy-drivers.js'
import type { ProxyDriver, ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { CASES } from '../conformance/cases.js'
import { DIFFERENCES } from '../conformance/differences.js'
import { runApacheExport, runCaddyExport, runNginxExport, runYarpExport, type RunningExport } from '../conformance/exports.js'
import { startFixture, type Fixture } from '../conformance/fixture.js'
import { YARP_VERSION } from '../conformance/yarp-host.js'
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
    const driver: ProxyDriver = engine.kind === 'builtin' ? builtinProxyDriver : proxyDriver(engine.kind)
    beforeAll(async () => {
      plan = await fixture.plan(path.join(home.dir, engine.kind))
      proxy = await driver.start(plan, { log: () => undefined, trace: () => undefined })
    }, 60_000)
    afterAll(async () => {
      await proxy?.stop()
    })
    for (const c of CASES) {
      it(c.id, async () => {
        record(engine.kind, c.id, await c.run({ scheme: 'https', port: plan.httpsPort!, httpPort: plan.httpPort, httpsPort: plan.httpsPort!, ca: fixture.ca.certPem, instances: fixture.local }))
      }, 60_000)
    }
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
