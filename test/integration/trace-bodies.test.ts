import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Trace } from '../../src-main/contract.js'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { Telemetry, TRACE_BODIES_KEPT } from '../../src-main/core/telemetry/telemetry.js'
import { tempHome } from '../support/temp-home.js'

/** Echoes what it got, says which instance it is; /binary answers bytes that are not UTF-8. */
const APP = `require('http').createServer((q,r)=>{const c=[];q.on('data',(d)=>c.push(d));q.on('end',()=>{if(q.url==='/binary')return r.end(Buffer.from([0xff,0xfe,0,1]));r.setHeader('x-instance',process.env.INSTANCE);r.end(JSON.stringify({instance:process.env.INSTANCE,got:Buffer.concat(c).toString()}))})}).listen(process.env.PORT,'127.0.0.1')`

function send(port: number, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', headers: { host: 'bodies.localhost', 'content-type': 'application/json', cookie: 'session=secret' }, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('request and response bodies in traces (proxy.traceBodies), and replay', () => {
  const home = tempHome()
  let engine: Engine
  let port: number
  const traces: Trace[] = []
  const traced = async (path: string, count = 1) => {
    const deadline = Date.now() + 5_000
    while (traces.filter((t) => t.path === path).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    return traces.filter((t) => t.path === path)
  }

  beforeAll(async () => {
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
    engine.on('trace:batch', (batch) => void traces.push(...batch))
    port = await findFreePort()
    await engine.invoke('stack:save', {
      stack: { id: 'bodies', name: 'Bodies', hostnames: ['bodies.localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', APP], instances: 2 }], routes: [{ appServer: 'web' }], proxy: { httpPort: port, traceBodies: 64 } },
      create: true,
    })
    await engine.invoke('stack:start', { id: 'bodies' })
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
  })

  it('keeps the first bytes of each body: text as text, binary as base64, a long one cut and marked', async () => {
    await send(port, '/echo', '{"order":42}')
    const [echo] = await traced('/echo')
    expect(echo.requestBody).toEqual({ text: '{"order":42}', encoding: 'utf8', bytes: 12, truncated: false })
    expect(echo.responseBody?.text).toMatch(/^\{"instance":"[12]","got":"\{\\"order\\":42\}"\}$/)
    await send(port, '/binary')
    const [binary] = await traced('/binary')
    expect(binary.requestBody).toBeUndefined()
    expect(binary.responseBody).toEqual({ text: Buffer.from([0xff, 0xfe, 0, 1]).toString('base64'), encoding: 'base64', bytes: 4, truncated: false })
    await send(port, '/long', 'é'.repeat(100))
    const [long] = await traced('/long')
    // 64 bytes hold 32 two-byte characters: the cut never splits one.
    expect(long.requestBody).toEqual({ text: 'é'.repeat(32), encoding: 'utf8', bytes: 200, truncated: true })
  })

  it('replays a request through the proxy and to one instance, without the masked cookie; refuses a body it did not keep whole', async () => {
    const [echo] = await traced('/echo')
    const viaProxy = await engine.invoke('trace:replay', { traceId: echo.id })
    expect(viaProxy).toMatchObject({ status: 200, note: expect.stringMatching(/^replayed POST \/echo to the built-in proxy: 200 in [\d.]+ ms \(without cookie: masked in the trace\)$/) })
    const again = await traced('/echo', 2)
    expect(again[1].requestBody?.text).toBe('{"order":42}')
    expect(again[1].requestHeaders?.cookie).toBeUndefined()
    const direct = await engine.invoke('trace:replay', { traceId: echo.id, instance: 'web#2' })
    expect(direct.note).toContain('to web#2: 200')
    const [long] = await traced('/long')
    await expect(engine.invoke('trace:replay', { traceId: long.id })).rejects.toThrow('raise proxy.traceBodies to replay it')
    await expect(engine.invoke('trace:replay', { traceId: 'nope' })).rejects.toThrow('no trace "nope"')
  })
})

describe('the engine keeps bodies for its newest traces only', () => {
  it(`drops the bodies of traces older than the newest ${TRACE_BODIES_KEPT}, and keeps the rest of them`, () => {
    const telemetry = new Telemetry()
    const body = { text: 'x', encoding: 'utf8' as const, bytes: 1, truncated: false }
    for (let i = 0; i < TRACE_BODIES_KEPT + 5; i++) telemetry.trace({ id: String(i), time: i, stackId: 's', client: '', protocol: 'HTTP/1.1', method: 'GET', host: 'h', path: `/${i}`, status: 200, durationMs: 1, requestBody: body })
    const all = telemetry.tailTraces(TRACE_BODIES_KEPT + 5)
    expect(all.filter((t) => t.requestBody).length).toBe(TRACE_BODIES_KEPT)
    expect(all[0].requestBody).toBeUndefined()
    expect(all[0].path).toBe('/0')
    expect(all.at(-1)!.requestBody).toEqual(body)
  })
})
