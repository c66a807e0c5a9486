import { EventEmitter } from 'node:events'
import { STATUS_CODES } from 'node:http'
import net from 'node:net'
import { Http1ServerRequest } from './http1-server-request.js'
import { feedParser, HTTPParser, methods, type ParseError, type ParserFeed } from './native-http-parser.js'
import { Http1ServerResponse, type ResponseOwner } from './http1-server-response.js'

/** Requests a client may pipeline before its socket is no longer read (their answers go out in order). */
const MAX_PIPELINED = 16
/** llhttp's on_headers_complete answer: the rest of the bytes belong to the upgraded protocol. */
const UPGRADE = 2

export interface Http1ServerOptions {
  /** A request's head must arrive within this, counted from its first byte (from the connection for the first request): else 408. */
  headersTimeoutMs: number
  /** A connection with no traffic for this long is closed. */
  idleMs: number
  maxHeaderSize: number
  /** How often connections are checked against headersTimeoutMs. */
  checkIntervalMs: number
}

export interface Http1ServerEvents {
  connection: [socket: net.Socket]
  request: [req: Http1ServerRequest, res: Http1ServerResponse]
  upgrade: [req: Http1ServerRequest, socket: net.Socket, head: Buffer]
  /** A request that cannot be parsed (err.code: llhttp's HPE_…, or ERR_HTTP_REQUEST_TIMEOUT): answer it on the socket, which is read no more. */
  clientError: [err: Error & { code?: string }, socket: net.Socket]
  error: [err: NodeJS.ErrnoException]
}

/**
 * The built-in proxy's plain-HTTP/1.1 server: node:http's parser without node:http's server
 * layer and its per-request objects and stream machinery (measured against it in the commits
 * that built this, side by side at a fixed load). Keep-alive,
 * pipelining in order, 100-continue, the head and idle timeouts and upgrades are handled here;
 * a request and its answer are small objects (http1-server-request.ts, http1-server-response.ts).
 */
export class Http1Server extends EventEmitter<Http1ServerEvents> {
  private readonly server: net.Server
  private readonly connections = new Set<ServerConnection>()
  private sweeper?: NodeJS.Timeout

  constructor(readonly options: Http1ServerOptions) {
    super()
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket))
    this.server.on('error', (err) => this.emit('error', err))
  }

  get listening(): boolean {
    return this.server.listening
  }

  address(): net.AddressInfo | string | null {
    return this.server.address()
  }

  listen(options: net.ListenOptions, ready: () => void): void {
    this.server.listen(options, () => {
      this.sweeper = setInterval(() => this.sweep(), this.options.checkIntervalMs)
      this.sweeper.unref()
      ready()
    })
  }

  close(done: () => void): void {
    clearInterval(this.sweeper)
    this.server.close(() => done())
  }

  closeAllConnections(): void {
    for (const conn of this.connections) conn.socket.destroy()
  }

  private accept(socket: net.Socket): void {
    // The listener may refuse it (its connection limit) by ending it at once.
    this.emit('connection', socket)
    if (socket.destroyed || socket.writableEnded) return
    const conn = new ServerConnection(this, socket)
    this.connections.add(conn)
    socket.once('close', () => this.connections.delete(conn))
  }

  /** Connections whose current request's head takes longer than headersTimeoutMs get 408 (slowloris). */
  private sweep(): void {
    const now = performance.now()
    for (const conn of this.connections) if (conn.headWaitMs(now) > this.options.headersTimeoutMs) conn.refuse(Object.assign(new Error('the request head took too long'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }))
  }
}

/** One client connection: its parser, the request whose body is arriving, and the answers not yet finished, in order. */
class ServerConnection implements ResponseOwner {
  private readonly parser = new HTTPParser()
  private readonly queue: Http1ServerResponse[] = []
  private incoming?: Http1ServerRequest
  private readonly acceptedAt = performance.now()
  private begun = false
  private extraHeaders?: string[]
  private extraUrl = ''
  private upgraded?: Http1ServerRequest
  /** Reading stopped: a body nobody reads yet, or too many pipelined requests. */
  private bodyPaused = false
  private queuePaused = false
  /** A parse error that waits for the answers before it. */
  private pendingError?: ParseError
  private done = false
  private readonly feed: ParserFeed
  private parserClosed = false

  constructor(
    private readonly server: Http1Server,
    readonly socket: net.Socket,
  ) {
    const { parser } = this
    parser.initialize(HTTPParser.REQUEST, {}, server.options.maxHeaderSize, 0)
    parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      this.extraHeaders = (this.extraHeaders ?? []).concat(headers)
      this.extraUrl += url
    }
    parser[HTTPParser.kOnHeadersComplete] = this.onHeaders.bind(this)
    parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
      if (this.incoming && !this.incoming.push(chunk)) this.pauseBody()
    }
    parser[HTTPParser.kOnMessageComplete] = () => {
      const req = this.incoming
      if (!req) return
      this.incoming = undefined
      req.complete = true
      req.push(null)
    }
    socket.setTimeout(server.options.idleMs, () => socket.destroy())
    this.feed = feedParser(socket, parser, (result, data) => this.executed(result, data), () => !this.bodyPaused && !this.queuePaused)
    socket.on('error', () => socket.destroy())
    socket.once('end', () => this.clientEnded())
    socket.once('close', () => this.closed())
  }

  /** How long the current request's head has been arriving (0 between requests and while answers are pending). */
  headWaitMs(now: number): number {
    if (this.done || this.queue.length || this.incoming) return 0
    if (!this.begun) return now - this.acceptedAt
    return this.parser.headersCompleted() ? 0 : this.parser.duration()
  }

  /** After the parser went through what the client sent (`data`: when it came as a 'data' event, not read by the parser itself). */
  private executed(result: number | ParseError, data: Buffer | undefined): void {
    this.begun = true
    if (result instanceof Error) return this.refuse(result)
    const req = this.upgraded
    if (req) this.upgrade(req, (data ?? this.parser.getCurrentBuffer()).subarray(result))
  }

  /** Once, and never inside the parser's own callback (an upgrade is found there): on the next turn, as node:http frees its parsers. */
  private closeParser(): void {
    if (this.parserClosed) return
    this.parserClosed = true
    setImmediate(() => this.parser.close())
  }

  private onHeaders(major: number, minor: number, raw: string[] | undefined, method: number, url: string | undefined, _status: unknown, _text: unknown, upgrade: boolean, keepAlive: boolean): number {
    if (!raw) {
      raw = this.extraHeaders ?? []
      this.extraHeaders = undefined
    }
    if (!url) {
      url = this.extraUrl
      this.extraUrl = ''
    }
    const name = methods[method]
    // An HTTP/2 preface on this port, or a CONNECT: nothing a reverse proxy serves (node:http closes them too).
    if (name === 'PRI' || name === 'CONNECT') {
      this.socket.destroy()
      return 0
    }
    const req = new Http1ServerRequest(this.socket, name, url, major, minor, raw, () => this.resumeBody())
    if (upgrade) {
      this.upgraded = req
      return UPGRADE
    }
    const res = new Http1ServerResponse(req, this, keepAlive)
    this.incoming = req
    this.queue.push(res)
    if (this.queue.length === 1) res.start()
    else if (this.queue.length >= MAX_PIPELINED && !this.queuePaused) {
      this.queuePaused = true
      this.socket.pause()
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused (as node:http does).
    if (minor === 1 && major === 1 && req.headers.host === undefined) return refuseHere(res, 400, 'no Host header')
    const expect = req.headers.expect
    if (expect !== undefined) {
      if (!/^100-continue$/i.test(expect)) return refuseHere(res, 417, expect.slice(0, 100))
      if (this.queue.length === 1) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n')
    }
    this.server.emit('request', req, res)
    return 0
  }

  /** An answer ended: the next one's turn, or the connection's end. */
  finished(res: Http1ServerResponse): void {
    if (this.queue[0] !== res) return
    this.queue.shift()
    // An unread body is read and dropped, so the next request can be parsed.
    if (!res.req.complete) res.req.resume()
    if (!res.keepAlive) {
      this.done = true
      this.socket.end()
      return
    }
    if (this.queuePaused && this.queue.length < MAX_PIPELINED) {
      this.queuePaused = false
      if (!this.bodyPaused) this.socket.resume()
    }
    const next = this.queue[0]
    if (next) next.start()
    else if (this.pendingError) this.refuse(this.pendingError)
  }

  /** A request that cannot be parsed (or came too slowly): answered once the answers before it went out, then the connection ends. */
  refuse(err: ParseError): void {
    if (this.done) return
    if (this.queue.length) {
      this.pendingError = err
      this.socket.pause()
      return
    }
    this.done = true
    this.socket.pause()
    this.server.emit('clientError', err, this.socket)
  }

  private upgrade(req: Http1ServerRequest, head: Buffer): void {
    this.done = true
    this.upgraded = undefined
    this.feed.release()
    this.socket.removeAllListeners('end')
    this.socket.removeAllListeners('timeout')
    this.socket.setTimeout(0)
    this.closeParser()
    // Read again only once the tunnel listens (a 'data' listener or a pipe starts it), as node:http hands it over: no byte goes by unheard.
    ;(this.socket as { readableFlowing: boolean | null }).readableFlowing = null
    // Answers to earlier pipelined requests still go out first; the upgrade waits for them.
    const go = () => this.server.emit('upgrade', req, this.socket, head)
    if (!this.queue.length) go()
    else this.queue.at(-1)!.once('finish', go)
  }

  private pauseBody(): void {
    this.bodyPaused = true
    this.socket.pause()
  }

  private resumeBody(): void {
    if (!this.bodyPaused) return
    this.bodyPaused = false
    if (!this.queuePaused) this.socket.resume()
  }

  /** The client half-closed: a request still arriving is cut off; answers in flight still go out. */
  private clientEnded(): void {
    this.abortIncoming()
    if (!this.queue.length) this.socket.end()
    else for (const res of this.queue) res.keepAlive = false
  }

  private closed(): void {
    this.done = true
    this.abortIncoming()
    this.closeParser()
    for (const res of this.queue.splice(0)) res.destroy()
  }

  /** A body cut off by the client: its reader sees an error, never a whole request. */
  private abortIncoming(): void {
    const req = this.incoming
    this.incoming = undefined
    if (req && !req.complete) req.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
  }
}

/** A request this server answers itself (a 400 or 417), closing the connection after it; llhttp's "no special treatment" answer. */
function refuseHere(res: Http1ServerResponse, status: 400 | 417, detail: string): number {
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(`${STATUS_CODES[status]}: ${detail}\n`)
  return 0
}
