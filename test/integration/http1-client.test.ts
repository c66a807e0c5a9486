// The built-in proxy's HTTP/1.1 client against scripted TCP servers that send the real bytes:
// keep-alive reuse and its limits, answers node:http would never produce, request bodies both ways.
import net from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { Http1Pool, type UpstreamHandler, type UpstreamRequest } from '../../src-main/core/proxy/builtin/http1-client.js'

interface Scripted {
  port: number
  /** Every request's bytes, in arrival order, and the connection (by number) it came on. */
  requests: { text: string; connection: number }[]
  connections: number
  close(): Promise<void>
}

const servers: Scripted[] = []
afterAll(async () => {
  for (const s of servers) await s.close()
})

/** A server that answers each request (a whole head, plus `bodyBytes` of body when given) with `answer(n, connection)`. */
async function scripted(answer: (n: number, socket: net.Socket, text: string) => void, bodyBytes = 0): Promise<Scripted> {
  const sockets = new Set<net.Socket>()
  const state: Scripted = { port: 0, requests: [], connections: 0, close: async () => undefined }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    const connection = ++state.connections
    let buffered = ''
    socket.on('data', (d) => {
      buffered += d.toString('latin1')
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0 || buffered.length < end + 4 + bodyBytes) return
      const text = buffered
      buffered = ''
      state.requests.push({ text, connection })
      answer(state.requests.length, socket, text)
    })
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  state.port = (server.address() as net.AddressInfo).port
  state.close = () => {
    for (const s of sockets) s.destroy()
    return new Promise((r) => server.close(() => r()))
  }
  servers.push(state)
  return state
}

interface Outcome {
  status?: number
  headers?: Record<string, string | string[]>
  body: string
  error?: Error & { code?: string }
}

function send(pool: Http1Pool, request: Partial<UpstreamRequest>): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: '' }
    const handler: UpstreamHandler = {
      onRequestStart: () => undefined,
      onResponseStart: (_c, status, headers) => Object.assign(out, { status, headers }),
      onResponseData: (_c, chunk) => (out.body += chunk.toString()),
      onResponseEnd: () => resolve(out),
      onResponseError: (_c, error) => resolve({ ...out, error }),
    }
    pool.dispatch({ method: 'GET', path: '/', headers: { host: 'app.localhost' }, body: null, headersTimeout: 5_000, ...request }, handler)
  })
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`

describe('HTTP/1.1 client to app-server instances', () => {
  it('writes one request head as the app expects it, and reuses the connection for the next request', async () => {
    const app = await scripted((_n, socket, text) => socket.write(text.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n' : ok('hi')))
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    expect(await send(pool, { path: '/a?b=1', headers: { host: 'app.localhost', 'x-list': ['1', '2'], 'content-length': 0 } })).toMatchObject({ status: 200, body: 'hi' })
    expect(await send(pool, { method: 'HEAD', path: '/second' })).toMatchObject({ status: 200, body: '' })
    expect(app.requests[0].text).toBe('GET /a?b=1 HTTP/1.1\r\nconnection: keep-alive\r\nhost: app.localhost\r\nx-list: 1\r\nx-list: 2\r\ncontent-length: 0\r\n\r\n')
    // A HEAD answer's Content-Length describes a body that is not sent: the connection still serves the next request.
    expect(await send(pool, { path: '/third' })).toMatchObject({ status: 200, body: 'hi' })
    expect(app.requests.map((r) => r.connection)).toEqual([1, 1, 1])
    await pool.close()
  })

  it('refuses a header or target that would split the request, without writing anything', async () => {
    const app = await scripted((_n, socket) => socket.write(ok('x')))
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    expect((await send(pool, { headers: { host: 'a', 'x-evil': 'v\r\nx-injected: 1' } })).error?.message).toMatch(/invalid characters in header x-evil/)
    expect((await send(pool, { path: '/a b' })).error?.code).toBe('BAD_REQUEST')
    expect(app.requests).toEqual([])
    await pool.close()
  })

  it('reads 1xx answers past, duplicate headers as lists, more than 32 header fields, and a body that ends with the connection', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `x-h${i}: ${i}\r\n`).join('')
    const app = await scripted((n, socket) => {
      if (n === 1) socket.write(`HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n${ok('one', 'set-cookie: a=1\r\nset-cookie: b=2\r\netag: "x"\r\netag: "y"\r\n' + many)}`)
      else socket.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end')
    })
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    const first = await send(pool, {})
    expect(first.status).toBe(200)
    expect(first.headers!['set-cookie']).toEqual(['a=1', 'b=2'])
    expect(first.headers!.etag).toEqual(['"x"', '"y"'])
    expect(first.headers!['x-h39']).toBe('39')
    expect(first.headers!.link).toBeUndefined()
    expect(await send(pool, {})).toMatchObject({ status: 200, body: 'until the end' })
    await pool.close()
  })

  it('fails an invalid answer, one cut off, and one that does not come in time, each with its own code', async () => {
    const app = await scripted((n, socket) => {
      if (n === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n')
      else if (n === 2) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort')
      // n === 3: never answers
    })
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    expect((await send(pool, {})).error).toMatchObject({ code: 'BAD_RESPONSE' })
    const cut = await send(pool, {})
    expect(cut).toMatchObject({ status: 200, body: 'short' })
    expect(cut.error?.code).toBe('UPSTREAM_CLOSED')
    expect((await send(pool, { headersTimeout: 200 })).error).toMatchObject({ code: 'HEADERS_TIMEOUT', message: 'no response within 200 ms' })
    await pool.destroy()
  })

  it('sends a request again on a new connection when the instance closed the kept-alive one as it arrived (bodyless requests only)', async () => {
    // Requests 2 and 4 meet a connection the instance closes without answering, as one whose keep-alive ran out at that moment does.
    const app = await scripted((n, socket) => (n === 2 || n === 4 ? socket.destroy() : socket.write(ok('fine'))))
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    expect((await send(pool, {})).status).toBe(200)
    expect(await send(pool, {})).toMatchObject({ status: 200, body: 'fine' })
    expect(app.connections).toBe(2)
    // A request with a body is not sent twice: the app may have acted on it.
    const upload = await send(pool, { method: 'POST', headers: { host: 'a', 'content-length': 1 }, body: Readable.from([Buffer.from('x')]) })
    expect(upload.status).toBeUndefined()
    expect(['ECONNRESET', 'UPSTREAM_CLOSED', 'EPIPE']).toContain(upload.error?.code)
    await pool.close()
  })

  it('gives up an idle connection before the Keep-Alive timeout the instance announced', async () => {
    const app = await scripted((_n, socket) => socket.write(ok('k', 'keep-alive: timeout=1\r\n')))
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    await send(pool, {})
    // timeout=1 s less the 1 s margin: never reused.
    await send(pool, {})
    expect(app.connections).toBe(2)
    await pool.close()
  })

  it('streams a body without a length as chunks, and one with a length as it is', async () => {
    const app = await scripted((_n, socket) => socket.write(ok('got')), 0)
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    const chunked = await send(pool, { method: 'POST', body: Readable.from([Buffer.from('hello '), Buffer.from('world')]) })
    expect(chunked.status).toBe(200)
    expect(app.requests[0].text).toContain('transfer-encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n')
    await new Promise((r) => setTimeout(r, 50))
    await send(pool, { method: 'PUT', headers: { host: 'a', 'content-length': 3 }, body: Readable.from([Buffer.from('abc')]) })
    expect(app.requests.at(-1)!.text).toMatch(/content-length: 3\r\n\r\nabc$/)
    expect(app.requests.at(-1)!.text).not.toContain('chunked')
    await pool.close()
  })

  it('fails with the body stream’s own error, and refuses a connection that does not come (ECONNREFUSED)', async () => {
    const app = await scripted(() => undefined)
    const pool = new Http1Pool('127.0.0.1', app.port, 1_000)
    const failing = new Readable({ read() {} })
    const outcome = send(pool, { method: 'POST', body: failing })
    setTimeout(() => failing.destroy(new Error('the upload broke')), 50)
    expect((await outcome).error?.message).toBe('the upload broke')
    await pool.close()
    const closed = await scripted(() => undefined)
    await closed.close()
    expect((await send(new Http1Pool('127.0.0.1', closed.port, 1_000), {})).error?.code).toBe('ECONNREFUSED')
  })
})
