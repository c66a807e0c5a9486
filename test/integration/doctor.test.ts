import http from 'node:http'
import https from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import type { Stack } from '../../src-main/core/stacks/stack-schema.js'
import { tempHome } from '../support/temp-home.js'

/**
 * An app that misbehaves behind a proxy the ways the doctor knows: /secure "requires HTTPS" without
 * reading X-Forwarded-Proto (so it redirects an HTTPS request to itself); /login redirects to its own
 * http://127.0.0.1:<port>; /hub/negotiate hands out an id that only this instance knows, as
 * SignalR does; /upload refuses bodies over 1 KB with 413, as a lower Kestrel limit would.
 */
const APP = `const ids=new Set();require('http').createServer((q,r)=>{const u=new URL(q.url,'http://x');q.resume();q.on('end',()=>{if(u.pathname==='/secure'){r.writeHead(307,{location:'https://'+q.headers.host+q.url});return r.end()}if(u.pathname==='/login'){r.writeHead(302,{location:'http://127.0.0.1:'+process.env.PORT+'/signin'});return r.end()}if(u.pathname==='/hub/negotiate'){const id='c'+process.env.INSTANCE+Math.random().toString(36).slice(2);ids.add(id);return r.end(JSON.stringify({connectionId:id}))}if(u.pathname==='/hub'){if(ids.has(u.searchParams.get('id')))return r.end('ok');console.log('No Connection with that ID');r.writeHead(404);return r.end('No Connection with that ID')}if(u.pathname==='/upload'&&Number(q.headers['content-length'])>1000){r.writeHead(413);return r.end()}r.end('ok')})}).listen(process.env.PORT,'127.0.0.1')`

describe('the doctor, on a running stack that misbehaves behind the proxy', () => {
  const home = tempHome()
  let engine: Engine
  let stack: Stack
  let ca: string

  const send = (path: string, options: { method?: string; body?: string; tls?: boolean } = {}): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const port = options.tls ? stack.proxy.httpsPort! : stack.proxy.httpPort
      const req = (options.tls ? https : http).request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `doc.localhost:${port}` }, servername: 'doc.localhost', ca, agent: false }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end(options.body)
    })
  const findings = async () => (await engine.invoke('stack:doctor', { id: 'doc' })).findings

  beforeAll(async () => {
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
    ;({ stack } = await engine.invoke('stack:save', {
      stack: { id: 'doc', name: 'Doc', hostnames: ['doc.localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', APP], instances: 2 }], routes: [{ appServer: 'web' }], proxy: { httpPort: await findFreePort(), httpsPort: await findFreePort() } },
      create: true,
    }))
    ca = (await engine.certificates.ca()).certPem
    await engine.invoke('stack:start', { id: 'doc' })
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
  })

  it('finds nothing while the app behaves', async () => {
    expect((await send('/', { tls: true })).status).toBe(200)
    expect(await findings()).toEqual([])
  })

  it('names a redirect to http:// that leaks an instance port, with the trace', async () => {
    expect((await send('/login', { tls: true })).status).toBe(302)
    await new Promise((r) => setTimeout(r, 200))
    const found = await findings()
    expect(found.map((f) => f.id)).toEqual(['redirect-to-http', 'instance-address-leaked'])
    expect(found[0].evidence[0]).toMatch(/^trace \S+: GET \/login → 302 \(Location http:\/\/127\.0\.0\.1:\d+\/signin\)$/)
  })

  it('names a redirect to the very URL asked for (a loop)', async () => {
    expect((await send('/secure?x=1', { tls: true })).status).toBe(307)
    await new Promise((r) => setTimeout(r, 200))
    expect((await findings()).find((f) => f.id === 'redirect-loop')?.evidence[0]).toMatch(/^trace \S+: GET \/secure\?x=1 → 307 \(Location https:\/\/doc\.localhost:\d+\/secure\?x=1\)$/)
  })

  it('names SignalR-style connections that lose their instance with round-robin, and sticky makes them go', async () => {
    const lost: number[] = []
    for (let i = 0; i < 4; i++) {
      const { connectionId } = JSON.parse((await send('/hub/negotiate', { method: 'POST', tls: true })).body)
      lost.push((await send(`/hub?id=${connectionId}`, { tls: true })).status)
    }
    // Round-robin sends the connect to the other instance every time.
    expect(lost).toEqual([404, 404, 404, 404])
    await new Promise((r) => setTimeout(r, 200))
    const finding = (await findings()).find((f) => f.id === 'signalr-without-sticky')
    expect(finding?.fix).toContain('"sticky"')
    expect(finding?.evidence.some((e) => e.includes('No Connection with that ID'))).toBe(true)
    await engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, loadBalancing: 'sticky' } } })
    expect((await findings()).some((f) => f.id === 'signalr-without-sticky')).toBe(false)
  })

  it("names a 413 that came from the app, not the proxy", async () => {
    expect((await send('/upload', { method: 'POST', body: 'x'.repeat(5000), tls: true })).status).toBe(413)
    await new Promise((r) => setTimeout(r, 200))
    expect((await findings()).find((f) => f.id === 'app-body-limit')?.evidence[0]).toMatch(/POST \/upload → 413 \(5000 bytes, refused by web#[12]\)/)
  })
})
