import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apacheCacheDir, dataLayout } from '../../src-main/core/data-layout.js'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { requireBinary } from '../support/binaries.js'
import { get } from '../support/http-client.js'
import { tempHome } from '../support/temp-home.js'

/** Counts its answers: a cache hit does not reach it. */
const APP = `let n=0;require('http').createServer((q,r)=>{r.writeHead(200,{'cache-control':'max-age=60','content-type':'text/plain'});r.end(String(++n))}).listen(process.env.PORT,'127.0.0.1')`

/** An engine with one stack, `cached`, whose proxy (of `kind`) has a cache; started before the tests, stopped after. */
function cachedStack(kind: 'builtin' | 'nginx' | 'apache') {
  const home = tempHome()
  const running = { home, engine: undefined as unknown as Engine, port: 0 }
  beforeAll(async () => {
    running.engine = new Engine({ dataDir: home.dir })
    await running.engine.init()
    running.port = await findFreePort()
    await running.engine.invoke('stack:save', {
      stack: { id: 'cached', name: 'Cached', hostnames: ['cached.localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', APP] }], routes: [{ appServer: 'web' }], proxy: { kind, httpPort: running.port, cache: { maxSizeMb: 8 } } },
      create: true,
    })
    await running.engine.invoke('stack:start', { id: 'cached' })
  }, 60_000)
  afterAll(async () => {
    await running.engine.shutdown()
    home.cleanup()
  })
  return running
}

describe('the response cache of a running stack', () => {
  const running = cachedStack('builtin')

  it('serves a fresh answer again with Age and Cache-Status, and purges by path or whole', async () => {
    const first = await get(running.port, '/a', 'cached.localhost')
    const again = await get(running.port, '/a', 'cached.localhost')
    expect(first.headers['cache-status']).toBe('Aerie; fwd=uri-miss; stored')
    expect(again.body).toBe(first.body)
    expect(again.headers['cache-status']).toMatch(/^Aerie; hit; ttl=\d+$/)
    expect(again.headers.age).toMatch(/^\d+$/)
    await get(running.port, '/b', 'cached.localhost')
    expect(await running.engine.invoke('cache:purge', { stackId: 'cached', path: '/a' })).toEqual({ purged: 1, note: 'purged 1 cached answer(s) (under /a)' })
    expect((await get(running.port, '/a', 'cached.localhost')).body).not.toBe(first.body)
    expect((await get(running.port, '/b', 'cached.localhost')).headers['cache-status']).toMatch(/hit/)
    expect((await running.engine.invoke('cache:purge', { stackId: 'cached' })).purged).toBe(2)
    await expect(running.engine.invoke('cache:purge', { stackId: 'nope' })).rejects.toThrow('no stack "nope"')
  })

  it('refuses a cache on Caddy at save, naming the engines that have one', async () => {
    const { stack } = await running.engine.invoke('stack:get', { id: 'cached' })
    await expect(running.engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, kind: 'caddy' } } })).rejects.toThrow(/Caddy 2\.6 has no response cache .*the built-in proxy, nginx and Apache have one/)
  })
})

for (const kind of ['nginx', 'apache'] as const) {
  describe.skipIf(!requireBinary(kind === 'apache' ? 'apache2' : kind))(`the response cache of a stack on ${kind}`, () => {
    const running = cachedStack(kind)

    it('stores, says so in the trace, and is emptied by a purge; deleting the stack removes its cache folder', async () => {
      const first = await get(running.port, '/a', 'cached.localhost')
      expect((await get(running.port, '/a', 'cached.localhost')).body).toBe(first.body)
      await running.engine.invoke('cache:purge', { stackId: 'cached' })
      expect((await get(running.port, '/a', 'cached.localhost')).body).not.toBe(first.body)
      const verdicts = async () => (await running.engine.invoke('trace:list', { stackId: 'cached' })).filter((t) => t.path === '/a').map((t) => t.cache?.split('; ')[1])
      await expect.poll(verdicts, { timeout: 5_000 }).toHaveLength(3)
      // A miss, a hit, and a miss again after the purge.
      expect((await verdicts()).sort()).toEqual(['HIT', 'MISS', 'MISS'])
      const cacheDir = kind === 'apache' ? apacheCacheDir(dataLayout(running.home.dir).proxies('cached')) : path.join(dataLayout(running.home.dir).proxies('cached'), 'nginx', 'cache')
      expect(fs.readdirSync(cacheDir).length).toBeGreaterThan(0)
      await running.engine.invoke('stack:stop', { id: 'cached' })
      await running.engine.invoke('stack:delete', { id: 'cached' })
      expect(fs.existsSync(cacheDir)).toBe(false)
    }, 60_000)
  })
}
