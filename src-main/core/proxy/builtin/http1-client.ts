import type net from 'node:net'
import type { Readable } from 'node:stream'
import { BAD_FIELD_VALUE, HTTP_TOKEN } from '../header-rules.js'
import { Connection, UpstreamError } from './http1-connection.js'

export { UpstreamError }

/**
 * The built-in proxy's HTTP/1.1 client to app-server instances: keep-alive sockets per instance
 * address, requests written as one string, answers read by Node's own native parser (llhttp, the one
 * node:http uses). It replaced undici's Pool, whose request objects, queues and wasm parser cost
 * about a fifth of the proxy's CPU per request (docs/bench.md has the rows that compare).
 */

const BAD_TARGET = /[^\x21-\x7e\x80-\xff]/
const ignore = (): void => undefined

/** What the proxy sees of a request in flight: it can cancel it, and pause the answer while the client reads slowly. */
export interface UpstreamController {
  abort(reason: Error): void
  pause(): void
  resume(): void
}

export interface UpstreamHandler {
  /** The request has a connection (new or kept alive) and is being written. */
  onRequestStart(controller: UpstreamController): void
  onResponseStart(controller: UpstreamController, statusCode: number, headers: Record<string, string | string[]>): void
  onResponseData(controller: UpstreamController, chunk: Buffer): void
  onResponseEnd(controller: UpstreamController): void
  /** Once, for any failure and for an abort (with its reason); nothing is called after it. */
  onResponseError(controller: UpstreamController, err: Error & { code?: string }): void
}

export interface UpstreamRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | number | undefined>
  /** null: no body; a stream without a content-length header goes chunked. */
  body: Readable | null
  /** The answer's headers must arrive within this (0: no limit). */
  headersTimeout: number
}

/** One request in flight. */
export class Call implements UpstreamController {
  conn?: Connection
  responded = false
  bodySent: boolean
  over = false
  retried = false
  timer?: NodeJS.Timeout
  private upload?: Upload

  constructor(
    readonly pool: Http1Pool,
    readonly request: UpstreamRequest,
    readonly head: string,
    readonly handler: UpstreamHandler,
  ) {
    this.bodySent = request.body === null
  }

  abort(reason: Error): void {
    this.fail(reason, false)
  }

  pause(): void {
    this.conn?.socket.pause()
  }

  resume(): void {
    if (!this.over) this.conn?.socket.resume()
  }

  /** Ends the call with an error; a bodyless request that failed on a kept-alive socket before any answer is sent once more on a new one. */
  fail(err: Error, mayRetry: boolean): void {
    if (this.over) return
    const conn = this.conn
    this.detach()
    conn?.destroy()
    if (mayRetry && conn?.reused && !this.responded && this.request.body === null && !this.retried) {
      this.retried = true
      return this.pool.send(this, true)
    }
    this.over = true
    this.handler.onResponseError(this, err)
  }

  /** Lets go of the connection (and its body and timer). */
  detach(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.upload?.stop()
    this.upload = undefined
    if (this.conn) this.conn.call = undefined
    this.conn = undefined
  }

  /** Writes the request on its connection. */
  write(conn: Connection): void {
    this.conn = conn
    conn.call = this
    this.handler.onRequestStart(this)
    if (this.over) return
    const { body, headersTimeout } = this.request
    if (headersTimeout) this.timer = setTimeout(() => this.fail(new UpstreamError('HEADERS_TIMEOUT', `no response within ${headersTimeout} ms`), false), headersTimeout)
    conn.socket.write(this.head, 'latin1')
    if (body) this.upload = new Upload(this, body, conn.socket, this.request.headers['content-length'] === undefined)
  }

  /** The body has been written whole. */
  uploaded(): void {
    this.bodySent = true
    this.upload = undefined
  }

  /** The whole answer came: the connection goes back to the pool if both sides allow it. */
  complete(conn: Connection): void {
    const reusable = conn.keepAlive && this.bodySent
    // The instance may answer before reading the whole body (a 413, say): detach reads and drops the rest, so the client's connection moves on.
    this.detach()
    this.over = true
    if (reusable) this.pool.release(conn)
    else conn.destroy()
    this.handler.onResponseEnd(this)
  }
}

/** A request body being written to its connection, with back-pressure (only a request with a body has one). */
class Upload {
  constructor(
    private readonly call: Call,
    private readonly body: Readable,
    private readonly socket: net.Socket,
    private readonly chunked: boolean,
  ) {
    body.on('data', this.onData)
    body.once('end', this.onEnd)
    body.once('error', this.onError)
    body.once('close', this.onClose)
    body.resume()
  }

  private readonly onData = (chunk: Buffer): void => {
    const { socket, body } = this
    let ok: boolean
    if (this.chunked) {
      if (!chunk.length) return
      socket.cork()
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1')
      socket.write(chunk)
      ok = socket.write('\r\n', 'latin1')
      socket.uncork()
    } else ok = socket.write(chunk)
    if (ok) return
    body.pause()
    socket.once('drain', () => this.call.conn?.socket === socket && body.resume())
  }

  private readonly onEnd = (): void => {
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1')
    this.detach()
    this.call.uploaded()
  }

  private readonly onError = (err: Error): void => this.call.fail(err, false)

  private readonly onClose = (): void => this.call.fail(Object.assign(new Error('the request body ended before it was complete'), { code: 'ECONNRESET' }), false)

  private detach(): void {
    const { body } = this
    body.removeListener('data', this.onData)
    body.removeListener('end', this.onEnd)
    body.removeListener('error', this.onError)
    body.removeListener('close', this.onClose)
  }

  /** The request ended first (an error, or an answer before the whole body): the rest is read and dropped, and an error it ends with later (a reset HTTP/2 upload) is ignored. */
  stop(): void {
    this.detach()
    this.body.on('error', ignore)
    this.body.resume()
  }
}

/** Keep-alive connections to one instance address; as many as requests in flight (one request per connection at a time). */
export class Http1Pool {
  private idle: Connection[] = []
  private readonly open = new Set<Connection>()
  private sweeper?: NodeJS.Timeout
  private closing = false

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connectTimeoutMs: number,
  ) {}

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const head = requestHead(request, this.host, this.port)
    const call = new Call(this, request, typeof head === 'string' ? head : '', handler)
    if (typeof head !== 'string') return void process.nextTick(() => call.fail(head, false))
    if (this.closing) return void process.nextTick(() => call.fail(new UpstreamError('UPSTREAM_CLOSED', 'the connection pool to this instance was closed'), false))
    this.send(call, false)
  }

  /** On a kept-alive connection unless `fresh`, else a new one. */
  send(call: Call, fresh: boolean): void {
    const conn = (!fresh && this.takeIdle()) || this.connect()
    if (conn.connected) call.write(conn)
    else {
      conn.call = call
      call.conn = conn
    }
  }

  private takeIdle(): Connection | undefined {
    const now = Date.now()
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
      if (conn.closed) continue
      if (now - conn.idleSince >= conn.idleMs) {
        conn.destroy()
        continue
      }
      conn.reused = true
      return conn
    }
    return undefined
  }

  private connect(): Connection {
    const conn = new Connection(this, this.host, this.port, this.connectTimeoutMs)
    this.open.add(conn)
    return conn
  }

  release(conn: Connection): void {
    if (this.closing || conn.closed || conn.idleMs === 0) return conn.destroy()
    conn.idleSince = Date.now()
    conn.socket.resume()
    this.idle.push(conn)
    this.sweeper ??= setInterval(() => this.sweep(), 1_000).unref()
  }

  /** Closes idle connections past their time, so they do not hold file descriptors. */
  private sweep(): void {
    const now = Date.now()
    this.idle = this.idle.filter((conn) => {
      if (conn.closed) return false
      if (now - conn.idleSince < conn.idleMs) return true
      conn.destroy()
      return false
    })
    if (!this.idle.length) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
  }

  forget(conn: Connection): void {
    this.open.delete(conn)
    if (this.closing && !this.open.size) this.drained?.()
  }

  private drained?: () => void

  /** No new requests; resolves when those in flight have finished. */
  close(): Promise<void> {
    this.closing = true
    clearInterval(this.sweeper)
    for (const conn of this.idle) conn.destroy()
    this.idle = []
    if (!this.open.size) return Promise.resolve()
    return new Promise((resolve) => (this.drained = resolve))
  }

  /** Ends every connection now; requests in flight fail. */
  destroy(): Promise<void> {
    const done = this.close()
    for (const conn of [...this.open]) conn.call ? conn.call.fail(new UpstreamError('UPSTREAM_CLOSED', 'the proxy closed its connections to this instance'), false) : conn.destroy()
    return done
  }
}

/** The request line and headers, or why they cannot be sent (a header or target with characters HTTP/1.1 does not allow). */
function requestHead(request: UpstreamRequest, host: string, port: number): string | UpstreamError {
  const { method, path, headers } = request
  if (!HTTP_TOKEN.test(method) || BAD_TARGET.test(path)) return new UpstreamError('BAD_REQUEST', `the request line cannot be sent as HTTP/1.1: ${JSON.stringify(`${method} ${path}`)}`)
  let head = `${method} ${path} HTTP/1.1\r\n${headers.connection === undefined ? 'connection: keep-alive\r\n' : ''}`
  if (headers.host === undefined) head += `host: ${host.includes(':') ? `[${host}]` : host}:${port}\r\n`
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (!HTTP_TOKEN.test(name)) return new UpstreamError('BAD_REQUEST', `invalid header name ${JSON.stringify(name)}`)
    if (Array.isArray(value)) {
      for (const one of value) {
        if (BAD_FIELD_VALUE.test(one)) return new UpstreamError('BAD_REQUEST', `invalid characters in header ${name}`)
        head += `${name}: ${one}\r\n`
      }
      continue
    }
    const text = typeof value === 'string' ? value : String(value)
    if (BAD_FIELD_VALUE.test(text)) return new UpstreamError('BAD_REQUEST', `invalid characters in header ${name}`)
    head += `${name}: ${text}\r\n`
  }
  if (request.body && headers['content-length'] === undefined) head += 'transfer-encoding: chunked\r\n'
  return head + '\r\n'
}
