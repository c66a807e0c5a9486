// The built-in proxy's plain-HTTP/1.1 server (http1-server.ts) against raw sockets sending the real bytes:
// what node:http's server did for the proxy and this server must still do (framing, keep-alive, pipelining,
// Expect, Host, timeouts, refusals, bodies, upgrades).
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Http1Server } from '../../src-main/core/proxy/builtin/http1-server.js'
import type { Http1ServerRequest } from '../../src-main/core/proxy/builtin/http1-server-request.js'
import type { Http1ServerResponse } from '../../src-main/core/proxy/builtin/http1-server-response.js'
import { raw } from '../support/raw-client.js'

type Handler = (req: Http1ServerRequest, res: Http1ServerResponse) => void

let server: Http1Server
let port = 0
/** What each test answers with; the default echoes method, URL and version. */
let handler: Handler
const errors: string[] = []
const upgrades: { url: string; head: string }[] = []
const echo: Handler = (req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(`${req.method} ${req.url}`)) }).end(`${req.method} ${req.url}`)

beforeAll(async () => {
  server = new Http1Server({ headersTimeoutMs: 600, idleMs: 5_000, maxHeaderSize: 16 * 1024, checkIntervalMs: 100 })
  server.on('request', (req, res) => handler(req, res))
  server.on('clientError', (err, socket) => {
    errors.push(err.code ?? err.message)
    socket.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n${err.code}`)
  })
  server.on('upgrade', (req, socket, head) => {
    // As the tunnel does: the socket is read only once the instance has answered, a moment later.
    setTimeout(() => {
      let later = ''
      socket.on('data', (d: Buffer) => (later += d))
      setTimeout(() => {
        upgrades.push({ url: req.url, head: head.toString() + later })
        socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\nupgraded')
      }, 50)
    }, 100)
  })
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve))
  port = (server.address() as net.AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(resolve))
})

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`

describe('the plain-HTTP/1.1 server of the built-in proxy', () => {
  it('answers pipelined requests in request order, whatever order they finish in', async () => {
    handler = (req, res) => setTimeout(() => echo(req, res), req.url === '/1' ? 150 : req.url === '/2' ? 75 : 0)
    const out = await raw(port, get('/1') + get('/2') + get('/3', 'Connection: close\r\n'))
    const bodies = [...out.matchAll(/\r\n\r\n(GET \/\d)/g)].map((m) => m[1])
    expect(bodies).toEqual(['GET /1', 'GET /2', 'GET /3'])
    expect(out.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3)
    expect(out).toMatch(/connection: close\r\n/)
  })

  it('frames an answer without Content-Length as chunked on HTTP/1.1 and until close on HTTP/1.0', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('hello ')
      res.end('world')
    }
    const v11 = await raw(port, get('/', 'Connection: close\r\n'))
    expect(v11).toMatch(/transfer-encoding: chunked\r\n/)
    expect(v11.slice(v11.indexOf('\r\n\r\n') + 4)).toBe('6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n')
    // Callbacks are called, once the answer went out.
    const called: string[] = []
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '4' })
      res.write('pi', () => called.push('write'))
      res.end('ng', () => called.push('end'))
    }
    expect(await raw(port, get('/', 'Connection: close\r\n'))).toMatch(/\r\n\r\nping$/)
    expect(called.sort()).toEqual(['end', 'write'])
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('hello ')
      res.end('world')
    }
    const v10 = await raw(port, 'GET / HTTP/1.0\r\n\r\n')
    expect(v10).not.toMatch(/transfer-encoding/)
    expect(v10).toMatch(/connection: close\r\n/)
    expect(v10.split('\r\n\r\n')[1]).toBe('hello world')
  })

  it('keeps an HTTP/1.0 connection open only when asked, and says so', async () => {
    handler = echo
    const kept = await raw(port, 'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n')
    expect(kept.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2)
    expect(kept.indexOf('connection: keep-alive')).toBeLessThan(kept.indexOf('GET /a'))
    expect(kept).toMatch(/GET \/b$/)
  })

  it('sends no body for HEAD, 204 and 304, keeping the length HEAD would have', async () => {
    handler = (req, res) => {
      const status = req.url === '/204' ? 204 : req.url === '/304' ? 304 : 200
      res.writeHead(status, status === 200 ? { 'content-length': '5' } : {}).end(status === 200 ? 'hello' : 'no body here')
    }
    const out = await raw(port, `HEAD / HTTP/1.1\r\nHost: x\r\n\r\n${get('/204')}${get('/304', 'Connection: close\r\n')}`)
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-length: 5\r\n/)
    expect(out).not.toMatch(/hello|no body|transfer-encoding/)
    expect(out.match(/HTTP\/1\.1 (204|304)/g)).toEqual(['HTTP/1.1 204', 'HTTP/1.1 304'])
  })

  it('answers Expect: 100-continue before the body is sent, and 417 to any other expectation', async () => {
    handler = (req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d))
      req.on('end', () => res.writeHead(200, { 'content-length': String(body.length) }).end(body))
    }
    const out = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n'))
      let text = ''
      socket.on('data', (d) => {
        text += d
        if (text === 'HTTP/1.1 100 Continue\r\n\r\n') socket.write('ping')
      })
      socket.on('close', () => resolve(text))
    })
    expect(out).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nping$/)
    expect(await raw(port, get('/', 'Expect: teapot\r\n'))).toMatch(/^HTTP\/1\.1 417 /)
  })

  it('refuses an HTTP/1.1 request without Host, and hands unparseable or slow heads to clientError', async () => {
    handler = echo
    expect(await raw(port, 'GET / HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*no Host header/)
    errors.length = 0
    expect(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /)
    expect(await raw(port, 'GET / HTTP/1.1\r\nHo st: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /)
    const started = Date.now()
    expect(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 3_000 })).toMatch(/ERR_HTTP_REQUEST_TIMEOUT$/)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(errors).toEqual([expect.stringMatching(/^HPE_/), expect.stringMatching(/^HPE_/), 'ERR_HTTP_REQUEST_TIMEOUT'])
  })

  it('streams a request body, and a body cut off by the client ends in an error for its reader', async () => {
    const seen: string[] = []
    handler = (req) => {
      req.on('data', (d: Buffer) => seen.push(`data ${d.length}`))
      req.on('end', () => seen.push('end'))
      req.on('error', (err: Error & { code?: string }) => seen.push(`error ${err.code}`))
    }
    await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789', { timeoutMs: 300 })
    await new Promise((r) => setTimeout(r, 100))
    expect(seen).toEqual(['data 10', 'error ECONNRESET'])
  })

  it('refuses a header value that would split the answer', async () => {
    let thrown = ''
    handler = (_req, res) => {
      try {
        res.writeHead(200, { 'x-evil': 'a\r\nset-cookie: b' })
      } catch (err) {
        thrown = (err as { code?: string }).code ?? ''
      }
      if (!res.headersSent) res.writeHead(500, { 'content-length': '0', connection: 'close' }).end()
    }
    expect(await raw(port, get('/'))).toMatch(/^HTTP\/1\.1 500 /)
    expect(thrown).toBe('ERR_INVALID_CHAR')
  })

  it('hands an upgrade over with the bytes after its head, after the answers before it, losing none sent before the tunnel reads', async () => {
    handler = echo
    upgrades.length = 0
    const out = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`${get('/first')}GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nframe1`)
        setTimeout(() => socket.write('+frame2'), 30)
      })
      let text = ''
      socket.on('data', (d) => (text += d))
      socket.on('close', () => resolve(text))
    })
    expect(out.indexOf('GET /first')).toBeGreaterThan(0)
    expect(out.indexOf('GET /first')).toBeLessThan(out.indexOf('101 Switching'))
    expect(upgrades).toEqual([{ url: '/ws', head: 'frame1+frame2' }])
  })
})
