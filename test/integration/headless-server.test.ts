import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import http from 'node:http'
import { Engine } from '../../src-main/core/engine.js'
import { startHeadlessServer, type HeadlessServer } from '../../src-main/server/headless-server.js'
import { tempHome } from '../support/temp-home.js'
import { engineWithDemo } from '../support/test-engine.js'

function request(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

function wsOutcome(url: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.close()
      resolve('open')
    })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', () => resolve(-1))
  })
}

describe('headless server', () => {
  const home = tempHome()
  let engine: Engine
  let server: HeadlessServer

  beforeAll(async () => {
    ;({ engine } = await engineWithDemo(home.dir))
    server = await startHeadlessServer({ engine, rendererDir: home.dir })
  })
  afterAll(async () => {
    await server.close()
    await engine.shutdown()
    home.cleanup()
  })

  const invoke = (headers: Record<string, string>) => request(server.port, '/api/invoke/stack:list', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' })

  it('binds 127.0.0.1 and prints a URL that carries the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token.length).toBeGreaterThanOrEqual(32)
  })

  it('serves the UI with headers that forbid framing and foreign connections, and no referrer leaking the token', async () => {
    const fs = await import('node:fs')
    const path = await import('node:path')
    const dir = path.join(home.dir, 'ui')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>ui</title>')
    const ui = await startHeadlessServer({ engine, rendererDir: dir })
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port: ui.port, path: '/stacks', headers: { host: `127.0.0.1:${ui.port}` }, agent: false }, resolve).on('error', reject))
      res.resume()
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.headers['referrer-policy']).toBe('no-referrer')
    } finally {
      await ui.close()
    }
  })

  it('answers a command with the right token', async () => {
    const res = await invoke({ authorization: `Bearer ${server.token}` })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).result[0].stack.id).toBe('demo')
  })

  it('rejects a missing or wrong token', async () => {
    expect((await invoke({})).status).toBe(401)
    expect((await invoke({ authorization: 'Bearer wrong' })).status).toBe(401)
  })

  it('rejects a foreign Origin and a foreign Host (DNS rebinding)', async () => {
    expect((await invoke({ authorization: `Bearer ${server.token}`, origin: 'http://evil.example' })).status).toBe(403)
    expect((await invoke({ authorization: `Bearer ${server.token}`, host: `evil.example:${server.port}` })).status).toBe(421)
  })

  it('answers an invalid command payload with the field at fault', async () => {
    const res = await request(server.port, '/api/invoke/stack:start', { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: '{"id":"Not Valid"}' })
    expect(res.status).toBe(422)
    expect(JSON.parse(res.body).error.issues[0].path).toBe('id')
    expect(JSON.parse(res.body).error.code).toBe('invalid')
  })

  it('gives every failure a machine-readable code with its HTTP status: an unknown stack is 404 not-found, a bad token 401 denied', async () => {
    const res = await request(server.port, '/api/invoke/stack:start', { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: '{"id":"no-such-stack"}' })
    expect(res.status).toBe(404)
    expect(JSON.parse(res.body).error).toEqual({ code: 'not-found', message: 'no stack "no-such-stack" (see `aerie list`)' })
    expect(JSON.parse((await invoke({})).body).error.code).toBe('denied')
  })

  it('opens the WebSocket only with the token and our Origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/api/ws`
    expect(await wsOutcome(`${base}?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` })).toBe('open')
    expect(await wsOutcome(`${base}?token=${server.token}`, { origin: 'http://evil.example' })).toBe(403)
    expect(await wsOutcome(base, { origin: `http://127.0.0.1:${server.port}` })).toBe(403)
  })

  it('serves commands and pushes engine events over the WebSocket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`)
    const messages: { type: string; id?: number; name?: string; ok?: boolean; result?: unknown; payload?: { state?: string } }[] = []
    ws.on('message', (d) => messages.push(JSON.parse(String(d))))
    await new Promise((r) => ws.on('open', r))
    ws.send(JSON.stringify({ type: 'invoke', id: 7, name: 'stack:start', request: { id: 'demo' } }))
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (messages.some((m) => m.id === 7)) {
          clearInterval(timer)
          resolve()
        }
      }, 20)
    })
    expect(messages.find((m) => m.id === 7)).toMatchObject({ type: 'result', ok: true })
    const states = messages.filter((m) => m.type === 'event' && m.name === 'stack:state').map((m) => m.payload?.state)
    expect(states).toContain('starting')
    expect(states).toContain('running')
    ws.send(JSON.stringify({ type: 'invoke', id: 8, name: 'stack:nope', request: {} }))
    await new Promise((r) => setTimeout(r, 100))
    expect(messages.find((m) => m.id === 8)).toMatchObject({ ok: false })
    ws.close()
    await engine.invoke('stack:stop', { id: 'demo' })
  })
})
