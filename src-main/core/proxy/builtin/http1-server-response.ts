import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import { Stream } from 'node:stream'
import { BAD_FIELD_VALUE, HTTP_TOKEN } from '../header-rules.js'
import type { Http1ServerRequest } from './http1-server-request.js'


let dateSecond = 0
let dateValue = ''
/** The Date field, formatted once a second. */
function httpDate(): string {
  const now = Date.now()
  const second = now - (now % 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateValue = new Date(second).toUTCString()
  }
  return dateValue
}

/** What a response needs of its connection: the socket, whose turn it is (pipelining), and its end. */
export interface ResponseOwner {
  readonly socket: Socket
  finished(res: Http1ServerResponse): void
}

/**
 * An answer on the built-in proxy's plain-HTTP listener: the part of node:http's ServerResponse
 * the proxy uses (setHeader, writeHead, write/end with back-pressure and 'drain', headersSent,
 * destroy, 'finish' then 'close'), written to the socket as one head and its body. Like
 * node:http's OutgoingMessage it is a legacy Stream (pipe and pipeline write to it), not a
 * Writable: that machinery measured 3.6 µs per answer. Framing follows the answer: its
 * Content-Length, else chunked (HTTP/1.1) or until close (HTTP/1.0); HEAD, 1xx, 204 and 304
 * carry no body. Pipelined answers wait for their turn (`start`), in request order.
 */
export class Http1ServerResponse extends Stream {
  statusCode = 200
  headersSent = false
  writable = true
  writableEnded = false
  writableFinished = false
  destroyed = false
  /** The connection stays open after this answer (the request's wish, then the answer's). */
  keepAlive: boolean
  private fields?: Record<string, OutgoingHttpHeaders[string]>
  /** The head, until it goes out with the first bytes of the body (or the end). */
  private head = ''
  private chunked = false
  private bodyless: boolean
  private turn = false
  /** What was written before its turn came (pipelining). */
  private parked?: { chunks: [Buffer | string, BufferEncoding | undefined][]; end: boolean }
  private draining = false

  constructor(
    readonly req: Http1ServerRequest,
    private readonly owner: ResponseOwner,
    keepAlive: boolean,
  ) {
    super()
    this.keepAlive = keepAlive
    this.bodyless = req.method === 'HEAD'
  }

  /** Its turn on the connection came: what was written so far goes out. */
  start(): void {
    this.turn = true
    const parked = this.parked
    if (!parked) return
    this.parked = undefined
    for (const [chunk, encoding] of parked.chunks) this.send(chunk, encoding)
    if (parked.end) this.finish()
  }

  setHeader(name: string, value: OutgoingHttpHeaders[string]): this {
    if (this.headersSent) throw Object.assign(new Error('Cannot set headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' })
    ;(this.fields ??= {})[name.toLowerCase()] = value
    return this
  }

  getHeader(name: string): OutgoingHttpHeaders[string] {
    return this.fields?.[name.toLowerCase()]
  }

  removeHeader(name: string): void {
    if (this.fields) delete this.fields[name.toLowerCase()]
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent) throw Object.assign(new Error('Cannot write headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' })
    const all = this.fields ? (headers ? { ...this.fields, ...lowerCased(headers) } : this.fields) : (headers ?? {})
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`
    let framed = false
    let connection: string | undefined
    let dated = false
    for (const name in all) {
      const value = all[name]
      if (value === undefined) continue
      if (!HTTP_TOKEN.test(name)) throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name}"]`), { code: 'ERR_INVALID_HTTP_TOKEN' })
      if (name.length === 14 && name === 'content-length') framed = true
      else if (name === 'transfer-encoding') {
        framed = true
        this.chunked = /chunked\s*$/i.test(String(value))
      } else if (name === 'connection') connection = String(value)
      else if (name === 'date') dated = true
      if (Array.isArray(value)) for (const one of value) head += field(name, one)
      else head += field(name, value)
    }
    this.statusCode = status
    if (status < 200 || status === 204 || status === 304) this.bodyless = true
    else if (!framed && !this.bodyless) {
      if (this.req.httpVersionMinor === 1 && this.req.httpVersionMajor === 1) {
        this.chunked = true
        head += 'transfer-encoding: chunked\r\n'
      } else this.keepAlive = false
    }
    if (connection !== undefined) {
      if (/(^|,)\s*close\s*(,|$)/i.test(connection)) this.keepAlive = false
    } else if (!this.keepAlive) head += 'connection: close\r\n'
    else if (this.req.httpVersionMinor === 0) head += 'connection: keep-alive\r\n'
    if (!dated) head += `date: ${httpDate()}\r\n`
    this.head = head + '\r\n'
    this.headersSent = true
    return this
  }

  /** False when the client has not taken what was written yet: wait for 'drain'. A callback is called once the whole answer went to the socket ('finish'). */
  write(chunk: Buffer | string, callback?: (error: Error | null | undefined) => void): boolean
  write(chunk: Buffer | string, encoding: BufferEncoding, callback?: (error: Error | null | undefined) => void): boolean
  write(chunk: Buffer | string, encoding?: BufferEncoding | ((error: Error | null | undefined) => void), callback?: (error: Error | null | undefined) => void): boolean {
    if (this.writableEnded || this.destroyed) return false
    const enc = typeof encoding === 'string' ? encoding : undefined
    const done = typeof encoding === 'function' ? encoding : callback
    if (done) this.once('finish', () => done(null))
    if (!this.turn) {
      ;(this.parked ??= { chunks: [], end: false }).chunks.push([chunk, enc])
      return true
    }
    return this.send(chunk, enc)
  }

  /** A callback is called on 'finish'. */
  end(cb?: () => void): this
  end(chunk: Buffer | string, cb?: () => void): this
  end(chunk: Buffer | string, encoding: BufferEncoding, cb?: () => void): this
  end(chunk?: Buffer | string | (() => void), encoding?: BufferEncoding | (() => void), cb?: () => void): this {
    if (this.writableEnded || this.destroyed) return this
    const done = typeof chunk === 'function' ? chunk : typeof encoding === 'function' ? encoding : cb
    if (done) this.once('finish', done)
    if (chunk !== undefined && typeof chunk !== 'function') this.write(chunk, typeof encoding === 'string' ? encoding : 'utf8')
    this.writableEnded = true
    this.writable = false
    if (!this.turn) (this.parked ??= { chunks: [], end: false }).end = true
    else this.finish()
    return this
  }

  /** Ends the client's connection unless the answer was whole (its framing cannot be finished). */
  destroy(): this {
    if (this.destroyed) return this
    this.destroyed = true
    this.writable = false
    if (!this.writableFinished) {
      this.owner.socket.destroy()
      process.nextTick(emitClose, this)
    }
    return this
  }

  private send(chunk: Buffer | string, encoding: BufferEncoding | undefined): boolean {
    if (!this.headersSent) this.writeHead(this.statusCode)
    const { socket } = this.owner
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.length
    if (this.bodyless || length === 0) {
      if (this.head) socket.write(this.head, 'latin1')
      this.head = ''
      return true
    }
    let flushed: boolean
    if (this.chunked) {
      socket.cork()
      socket.write(`${this.head}${length.toString(16)}\r\n`, 'latin1')
      socket.write(chunk, encoding as BufferEncoding)
      flushed = socket.write('\r\n', 'latin1')
      socket.uncork()
    } else if (this.head) {
      socket.cork()
      socket.write(this.head, 'latin1')
      flushed = socket.write(chunk, encoding as BufferEncoding)
      socket.uncork()
    } else flushed = socket.write(chunk, encoding as BufferEncoding)
    this.head = ''
    if (!flushed && !this.draining && !socket.destroyed) {
      this.draining = true
      socket.once('drain', () => {
        this.draining = false
        if (!this.destroyed) this.emit('drain')
      })
    }
    return flushed
  }

  private finish(): void {
    if (!this.headersSent) this.writeHead(this.statusCode)
    const end = this.chunked && !this.bodyless ? '0\r\n\r\n' : ''
    if (this.head || end) this.owner.socket.write(this.head + end, 'latin1')
    this.head = ''
    this.writableFinished = true
    this.owner.finished(this)
    process.nextTick(emitFinish, this)
  }
}

function emitFinish(res: Http1ServerResponse): void {
  res.emit('finish')
  emitClose(res)
}

function emitClose(res: Http1ServerResponse): void {
  res.destroyed = true
  res.emit('close')
}

function field(name: string, value: string | number): string {
  const text = typeof value === 'string' ? value : String(value)
  if (BAD_FIELD_VALUE.test(text)) throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: 'ERR_INVALID_CHAR' })
  return `${name}: ${text}\r\n`
}

function lowerCased(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name in headers) out[name.toLowerCase()] = headers[name]
  return out
}
