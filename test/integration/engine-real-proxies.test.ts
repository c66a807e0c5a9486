import https from 'node:https'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import type { StackInput } from '../../src-main/contract.js'
import { requireBinary } from '../support/binaries.js'
import { get } from '../support/http-client.js'
import { waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'
import { engineWithDemo } from '../support/test-engine.js'

const nginx = requireBinary('nginx')
const caddy = requireBinary('caddy')
const dotnet = requireBinary('dotnet')

describe.skipIf(!nginx || !caddy)('stacks on real proxies through the engine', () => {
  const home = tempHome()
  let engine: Engine
  let port: number

  beforeAll(async () => {
    ;({ engine, demoPort: port } = await engineWithDemo(home.dir))
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
  })

  async function instancesSeen(): Promise<Set<number>> {
    const seen = new Set<number>()
    for (let i = 0; i < 6; i++) seen.add(JSON.parse((await get(port, '/api/whoami', `demo.localhost:${port}`)).body).instance)
    return seen
  }

  it('lists every proxy kind with its availability, and names the install command when one is missing', async () => {
    const kinds = await engine.invoke('proxy:kinds', {})
    expect(kinds.map((k) => k.kind).sort()).toEqual(['apache', 'builtin', 'caddy', 'nginx'])
    expect(kinds.find((k) => k.kind === 'nginx')).toMatchObject({ available: true, version: expect.stringMatching(/^1\.\d+/) })
    process.env.AERIE_CADDY = '/nonexistent/caddy'
    try {
      const missing = (await engine.invoke('proxy:kinds', {})).find((k) => k.kind === 'caddy')!
      expect(missing.available).toBe(false)
      expect(missing.problem).toMatch(/Caddy is not installed .*install it with: sudo apt install caddy/)
    } finally {
      delete process.env.AERIE_CADDY
    }
  })

  it('switches a running stack from the built-in proxy to nginx, to Caddy and back, serving both instances each time', async () => {
    await engine.invoke('stack:start', { id: 'demo' })
    for (const kind of ['nginx', 'caddy', 'builtin'] as const) {
      const { stack } = await engine.invoke('stack:get', { id: 'demo' })
      const view = await engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, kind } } })
      expect(view.state).toBe('running')
      expect(await instancesSeen()).toEqual(new Set([1, 2]))
    }
    const logs = (await engine.invoke('log:tail', { stackId: 'demo', limit: 200 })).map((l) => l.text).join('\n')
    expect(logs).toMatch(/nginx \(.*nginx\) serving demo\.localhost/)
    expect(logs).toMatch(/Caddy \(.*caddy\) serving demo\.localhost/)
  })

  it('applies a routing change to a running nginx stack with a graceful reload, and traces come from its access log', async () => {
    const { stack } = await engine.invoke('stack:get', { id: 'demo' })
    await engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, kind: 'nginx' } } })
    const before = (await engine.invoke('stack:get', { id: 'demo' })).processes.map((p) => p.pid)
    await engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, kind: 'nginx', loadBalancing: 'least-connections' } } })
    expect((await engine.invoke('stack:get', { id: 'demo' })).processes.map((p) => p.pid)).toEqual(before)
    const logs = (await engine.invoke('log:tail', { stackId: 'demo', limit: 50 })).map((l) => l.text).join('\n')
    expect(logs).toContain('reloaded the nginx gracefully')
    await get(port, '/through-nginx', `demo.localhost:${port}`)
    await waitFor(async () => (await engine.invoke('trace:list', { stackId: 'demo', limit: 20 })).some((t) => t.path === '/through-nginx' && t.upstream?.startsWith('web#')), 5000, 'the nginx trace')
    await engine.invoke('stack:stop', { id: 'demo' })
  })

  it.skipIf(!dotnet)('serves the Kestrel sample over HTTPS through nginx, and the app sees the https scheme', async () => {
    const { appServer } = await engine.invoke('appserver:detect', { folder: path.resolve('resources/samples/KestrelSample') })
    const httpsPort = await findFreePort()
    const stack: StackInput = {
      id: 'kestrel',
      name: 'Kestrel on nginx',
      hostnames: ['kestrel.localhost'],
      appServers: [{ ...appServer, instances: 2, dotnetMode: 'build-once' } as StackInput['appServers'][number]],
      routes: [{ appServer: String(appServer.name) }],
      proxy: { kind: 'nginx', httpPort: await findFreePort(), httpsPort },
    }
    await engine.invoke('stack:save', { stack })
    expect((await engine.invoke('stack:start', { id: 'kestrel' })).state).toBe('running')
    const ca = (await engine.invoke('cert:export', { format: 'pem' })).files[0].content
    const seen = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const body = await new Promise<string>((resolve, reject) =>
        https.get({ host: '127.0.0.1', port: httpsPort, path: '/', servername: 'kestrel.localhost', headers: { host: `kestrel.localhost:${httpsPort}` }, ca, agent: false }, (res) => {
          let d = ''
          res.on('data', (c) => (d += c))
          res.on('end', () => resolve(d))
        }).on('error', reject),
      )
      const json = JSON.parse(body)
      expect(json).toMatchObject({ app: 'KestrelSample', scheme: 'https', host: `kestrel.localhost:${httpsPort}` })
      seen.add(json.instance)
    }
    expect(seen).toEqual(new Set(['1', '2']))
    await engine.invoke('stack:stop', { id: 'kestrel' })
  })
})
