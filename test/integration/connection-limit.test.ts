import { execFileSync } from 'node:child_process'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import { maxClientConnections } from '../../src-main/core/proxy/builtin/limits.js'
import type { ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { get } from '../support/http-client.js'
import { waitFor } from '../support/processes.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

/** The proxy process's open-file limit is lowered to this (prlimit) before the port is opened. */
const FILE_LIMIT = 256
const hasPrlimit = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v prlimit'])
    return true
  } catch {
    return false
  }
})()
if (!hasPrlimit) console.log('skipped: prlimit (util-linux) is not installed')

describe.skipIf(!hasPrlimit)('the built-in proxy at its connection limit', () => {
  const logs: string[] = []
  let app: TestUpstream
  let first: RunningProxy
  let limited: RunningProxy
  let plan: ProxyPlan
  const sockets: net.Socket[] = []

  beforeAll(async () => {
    app = await startUpstream('web#1')
    const base = { listenHost: '127.0.0.1', routes: [{ pathPrefix: '/', appServer: 'web', upstreams: [app.upstream] }], settings: defaultSettings() }
    // A first stack starts the proxy process; its limit is lowered; the second stack's new port reads it.
    first = await builtinProxyDriver.start({ ...base, stackId: 'first', httpPort: await findFreePort(), hostnames: ['first.localhost'] }, { log: () => undefined, trace: () => undefined })
    execFileSync('prlimit', [`--pid=${first.pid!()}`, `--nofile=${FILE_LIMIT}:${FILE_LIMIT}`])
    plan = { ...base, stackId: 'limited', httpPort: await findFreePort(), hostnames: ['limited.localhost'] }
    limited = await builtinProxyDriver.start(plan, { log: (l) => logs.push(...l), trace: () => undefined })
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await limited.stop()
    await first.stop()
    await app.close()
  })

  it('answers connections past the limit with a 503 and says so in the log, then recovers', async () => {
    const limit = maxClientConnections(FILE_LIMIT)
    for (let i = 0; i < limit; i++) {
      const s = net.connect(plan.httpPort, '127.0.0.1')
      s.on('error', () => undefined)
      sockets.push(s)
      await new Promise((r) => s.once('connect', r))
    }
    // Accepted connections are counted as the proxy sees them; give it a moment to take all of them.
    await new Promise((r) => setTimeout(r, 300))
    const refused = await get(plan.httpPort, '/', 'limited.localhost')
    expect(refused.status).toBe(503)
    expect(refused.body).toContain(`limit of ${limit} open connections`)
    await waitFor(() => logs.some((l) => l.startsWith('warning:') && l.includes(`limit of ${limit} open connections`)), 2_000, 'the warning')
    for (const s of sockets.splice(0)) s.destroy()
    await waitFor(async () => (await get(plan.httpPort, '/', 'limited.localhost')).status === 200, 5_000, 'a 200 once connections closed')
  })
})
