import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import type { ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { get } from '../support/http-client.js'
import { isAlive, waitFor } from '../support/processes.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

describe('the built-in proxy runs in its own supervised process', () => {
  const logs: string[] = []
  let app: TestUpstream
  let proxy: RunningProxy
  let plan: ProxyPlan

  beforeAll(async () => {
    app = await startUpstream('web#1')
    plan = {
      stackId: 'iso',
      listenHost: '127.0.0.1',
      httpPort: await findFreePort(),
      hostnames: ['iso.localhost'],
      routes: [{ pathPrefix: '/', appServer: 'web', upstreams: [app.upstream] }],
      settings: defaultSettings(),
    }
    proxy = await builtinProxyDriver.start(plan, { log: (l) => logs.push(...l), trace: () => undefined })
  })
  afterAll(async () => {
    await proxy.stop()
    await app.close()
  })

  it('serves from a process that is not the engine, and comes back with the stack attached after it is killed', async () => {
    const first = proxy.pid?.()
    expect(first).toBeGreaterThan(0)
    expect(first).not.toBe(process.pid)
    expect((await get(plan.httpPort, '/', 'iso.localhost')).status).toBe(200)
    process.kill(first!, 'SIGKILL')
    await waitFor(() => logs.some((l) => /built-in proxy process exited \(SIGKILL\); restarting it in \d+ ms/.test(l)), 5_000, 'the restart to be logged')
    await waitFor(() => logs.includes('built-in proxy process restarted; serving again'), 10_000, 'the proxy to serve again')
    const second = proxy.pid?.()
    expect(second).not.toBe(first)
    expect((await get(plan.httpPort, '/', 'iso.localhost')).status).toBe(200)
  })

  it('ends its process when the last stack stops (nothing left running)', async () => {
    const pid = proxy.pid?.()
    await proxy.stop()
    await waitFor(() => !isAlive(pid!), 5_000, 'the proxy process to exit')
    expect(builtinProxyDriver.ownsPort?.('127.0.0.1', plan.httpPort)).toBe(false)
  })
})
