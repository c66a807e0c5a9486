import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Trace } from '../../src-main/contract.js'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { builtinProxyDriver } from '../../src-main/core/proxy/builtin/builtin-proxy.js'
import type { ProxyPlan, RunningProxy } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { get } from '../support/http-client.js'
import { raw } from '../support/raw-client.js'
import { tempHome } from '../support/temp-home.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

describe('built-in proxy against hostile clients (raw bytes)', () => {
  const home = tempHome()
  const traces: Trace[] = []
  const hooks = { log: () => undefined, trace: (t: Trace) => traces.push(t) }
  let ca: LocalCA
  let app: TestUpstream
  let proxy: RunningProxy
  let plan: ProxyPlan
  const host = 'app.localhost'

  beforeAll(async () => {
    ca = await LocalCA.create(path.join(home.dir, 'ca'))
    const leaf = await ca.issueLeaf([host, 'localhost', '127.0.0.1'])
    app = await startUpstream('web#1')
    plan = {
      stackId: 'app',
      listenHost: '127.0.0.1',
      httpPort: await findFreePort(),
      httpsPort: await findFreePort(),
      tls: { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
      hostnames: [host],
      routes: [{ pathPrefix: '/', appServer: 'web', upstreams: [app.upstream] }],
      settings: defaultSettings(),
    }
    proxy = await builtinProxyDriver.start(plan, hooks)
  })
  afterAll(async () => {
    await proxy.stop()
    await app.close()
    home.cleanup()
  })

  it('answers an HTTP/1 request line naming HTTP/2.0 with 505 on both listeners, forwards nothing and keeps serving', async () => {
    const before = app.hits
    const request = `GET / HTTP/2.0\r\nHost: ${host}\r\n\r\n`
    expect(await raw(plan.httpPort, request)).toMatch(/^HTTP\/1\.1 505 /)
    expect(await raw(plan.httpsPort!, request, { tls: { servername: host, ca: ca.certPem } })).toMatch(/^HTTP\/1\.1 505 /)
    expect(await raw(plan.httpPort, `GET /chat HTTP/2.0\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)).toMatch(/^HTTP\/1\.1 505 /)
    expect(app.hits).toBe(before)
    expect(traces.filter((t) => t.status === 505).length).toBeGreaterThanOrEqual(2)
    expect((await get(plan.httpPort, '/', host)).status).toBe(200)
  })
})
