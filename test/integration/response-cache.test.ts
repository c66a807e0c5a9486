import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { get } from '../support/http-client.js'
import { tempHome } from '../support/temp-home.js'

/** Counts its answers: a cache hit does not reach it. */
const APP = `let n=0;require('http').createServer((q,r)=>{r.writeHead(200,{'cache-control':'max-age=60','content-type':'text/plain'});r.end(String(++n))}).listen(process.env.PORT,'127.0.0.1')`

describe('the response cache of a running stack', () => {
  const home = tempHome()
  let engine: Engine
  let port: number

  beforeAll(async () => {
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
    port = await findFreePort()
    await engine.invoke('stack:save', {
      stack: { id: 'cached', name: 'Cached', hostnames: ['cached.localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', APP] }], routes: [{ appServer: 'web' }], proxy: { httpPort: port, cache: { maxSizeMb: 8 } } },
      create: true,
    })
    await engine.invoke('stack:start', { id: 'cached' })
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
  })

  it('serves a fresh answer again with Age and Cache-Status, and purges by path or whole', async () => {
    const first = await get(port, '/a', 'cached.localhost')
    const again = await get(port, '/a', 'cached.localhost')
    expect(first.headers['cache-status']).toBe('Aerie; fwd=uri-miss; stored')
    expect(again.body).toBe(first.body)
    expect(again.headers['cache-status']).toMatch(/^Aerie; hit; ttl=\d+$/)
    expect(again.headers.age).toMatch(/^\d+$/)
    await get(port, '/b', 'cached.localhost')
    expect(await engine.invoke('cache:purge', { stackId: 'cached', path: '/a' })).toEqual({ purged: 1, note: 'purged 1 cached answer(s) (under /a)' })
    expect((await get(port, '/a', 'cached.localhost')).body).not.toBe(first.body)
    expect((await get(port, '/b', 'cached.localhost')).headers['cache-status']).toMatch(/hit/)
    expect((await engine.invoke('cache:purge', { stackId: 'cached' })).purged).toBe(2)
    await expect(engine.invoke('cache:purge', { stackId: 'nope' })).rejects.toThrow('no stack "nope"')
  })

  it('refuses a cache on Caddy at save, naming the engines that have one', async () => {
    const { stack } = await engine.invoke('stack:get', { id: 'cached' })
    await expect(engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, kind: 'caddy' } } })).rejects.toThrow(/Caddy 2\.6 has no response cache .*the built-in proxy, nginx and Apache have one/)
  })
})
