import net from 'node:net'
import type { Call, Http1Pool } from './http1-client.js'
import { feedParser, HTTPParser, type ParseError } from './native-http-parser.js'

/** How long an idle connection is kept when the instance does not say (`Keep-Alive: timeout=N`); Kestrel's own is 130 s, Node's 5 s. */
const DEFAULT_IDLE_MS = 4_000
/** An idle connection is given up this long before the instance's announced timeout, so a request never races its close. */
const IDLE_MARGIN_MS = 1_000

/** A failure of the client itself (as opposed to the socket's own errors, which keep their codes). */
export class UpstreamError extends Error {
  constructor(
    readonly code: 'CONNECT_TIMEOUT' | 'HEADERS_TIMEOUT' | 'UPSTREAM_CLOSED' | 'BAD_RESPONSE' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message)
  }
}

/** One keep-alive connection to an instance. */
export class Connection {
  readonly socket: net.Socket
  private readonly parser = new HTTPParser()
  call?: Call
  reused = false
  connected = false
  closed = false
  keepAlive = false
  idleSince = 0
  idleMs = DEFAULT_IDLE_MS
  private extraHeaders?: string[]
  private informational = false
  private messageDone = false

  constructor(
    private readonly pool: Http1Pool,
    host: string,
    port: number,
    connectTimeoutMs: number,
  ) {
    this.socket = net.connect({ host, port, noDelay: true })
    const timer = connectTimeoutMs ? setTimeout(() => this.socket.destroy(new UpstreamError('CONNECT_TIMEOUT', `no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs) : undefined
    this.socket.once('connect', () => {
      clearTimeout(timer)
      this.connected = true
      this.call?.write(this)
    })
    this.socket.once('end', () => {
      // An answer without a length ends with the connection.
      this.parser.finish()
      this.afterParse()
      this.socket.destroy()
    })
    this.socket.on('error', (err) => this.call?.fail(err, this.reused))
    this.socket.once('close', () => {
      clearTimeout(timer)
      this.closed = true
      this.pool.forget(this)
      this.call?.fail(new UpstreamError('UPSTREAM_CLOSED', 'the instance closed the connection before the answer was complete'), this.reused)
      this.parser.close()
    })
    this.parser.initialize(HTTPParser.RESPONSE, {}, 0, 0)
    this.parser[HTTPParser.kOnHeaders] = (headers: string[]) => (this.extraHeaders = (this.extraHeaders ?? []).concat(headers))
    this.parser[HTTPParser.kOnHeadersComplete] = this.onHeaders.bind(this)
    this.parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
      const call = this.call
      if (call && !call.over) call.handler.onResponseData(call, chunk)
    }
    this.parser[HTTPParser.kOnMessageComplete] = () => {
      if (this.informational) this.informational = false
      else this.messageDone = true
    }
    feedParser(this.socket, this.parser, (result) => this.executed(result))
  }

  private onHeaders(_major: number, _minor: number, raw: string[] | undefined, _method: unknown, _url: unknown, status: number, _text: string, upgrade: boolean, keepAlive: boolean): number {
    // Past 32 fields the parser hands the headers over in parts (kOnHeaders), and then none here.
    if (this.extraHeaders) {
      raw = raw ? this.extraHeaders.concat(raw) : this.extraHeaders
      this.extraHeaders = undefined
    }
    const call = this.call
    if (!call || call.over || call.responded) {
      this.socket.destroy()
      return 1
    }
    if (status < 200 && status !== 101) {
      this.informational = true
      return 0
    }
    if (upgrade || status === 101) {
      call.fail(new UpstreamError('BAD_RESPONSE', `the instance answered ${status} (a protocol switch) to a plain request`), false)
      return 1
    }
    this.keepAlive = keepAlive
    const headers: Record<string, string | string[]> = {}
    const fields = raw ?? []
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i].toLowerCase()
      const value = fields[i + 1]
      const prior = headers[name]
      headers[name] = prior === undefined ? (name === 'set-cookie' ? [value] : value) : Array.isArray(prior) ? [...prior, value] : [prior, value]
    }
    const hint = headers['keep-alive']
    const timeout = typeof hint === 'string' ? /timeout=(\d+)/i.exec(hint) : null
    this.idleMs = timeout ? Math.max(0, Number(timeout[1]) * 1000 - IDLE_MARGIN_MS) : DEFAULT_IDLE_MS
    clearTimeout(call.timer)
    call.responded = true
    call.handler.onResponseStart(call, status, headers)
    // A HEAD answer has headers only, whatever its Content-Length says.
    return call.request.method === 'HEAD' ? 1 : 0
  }

  /** After a read went through the parser. Bytes on a connection no request waits on (an idle one) end it: an answer nobody asked for, or the start of one, must not meet the next request. */
  private executed(result: number | ParseError): void {
    if (!this.call) return void this.socket.destroy()
    if (result instanceof Error) {
      this.messageDone = false
      const reason = (result as { reason?: string }).reason ?? result.message
      this.call?.fail(new UpstreamError('BAD_RESPONSE', `the instance sent an invalid HTTP answer (${result.code ?? 'parse error'}: ${reason})`), false)
      return void this.socket.destroy()
    }
    this.afterParse()
  }

  private afterParse(): void {
    if (!this.messageDone) return
    this.messageDone = false
    const call = this.call
    if (call && !call.over) call.complete(this)
  }

  destroy(): void {
    this.call = undefined
    this.socket.destroy()
  }
}

