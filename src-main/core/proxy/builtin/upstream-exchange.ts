import type http from 'node:http'
import { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { Trace } from '../../../contract.js'
import { pipeline, Readable } from 'node:stream'
import { applyHeaderEffects } from '../header-rules.js'
import { hstsValue, type PlanRoute, type ProxySettings } from '../proxy-driver.js'
import { chooseEncoding, compressor, varyWithEncoding } from './compression.js'
import { stripPathPrefix, withoutHopByHop } from './forwarded-headers.js'
import { cacheStatus, notStoredStatus, storability, type ResponseCache } from './response-cache.js'
import { openFileLimit, OUT_OF_FDS } from './limits.js'
import type { Http1Pool, UpstreamController, UpstreamHandler, UpstreamRequest } from './http1-client.js'
import type { Http1ServerRequest } from './http1-server-request.js'
import type { Http1ServerResponse } from './http1-server-response.js'
import { isHttp2Request } from './request-target.js'
import { singleValued } from './single-value-headers.js'
import type { ConnectionInfo } from './stack-proxy.js'
import { BodyCapture, maskedHeaders, type TraceRecorder } from './trace-recorder.js'
import { recordFailure, recordSuccess, STICKY_COOKIE, type Member } from './upstream-pool.js'

/** A request on the plain-HTTP listener (http1-server.ts) or the TLS one (node:http's HTTP/1 or HTTP/2 compatibility objects). */
export type ProxyRequest = Http1ServerRequest | http.IncomingMessage | Http2ServerRequest
export type ProxyResponse = Http1ServerResponse | http.ServerResponse | Http2ServerResponse
/** An Upgrade request (HTTP/1 only), on either listener. */
export type UpgradeRequest = Http1ServerRequest | http.IncomingMessage

/** Errors of a connection attempt (the instance refused or did not answer), as opposed to a failure after it. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'CONNECT_TIMEOUT'])

/** Errors of writing a request body to a connection the instance has closed. */
const BODY_WRITE_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'UPSTREAM_CLOSED'])

/** Why an exchange got no answer, for its proxy to retry elsewhere or answer with an error page. */
export interface ExchangeFailure {
  /** The instance refused or did not accept the connection (another one may take a request without a body). */
  connect: boolean
  status: 502 | 503 | 504
  /** What happened, for the error page and the log: `web#2 (port 5001) did not answer: …`. */
  line: string
  reason: string
}

export interface ExchangeHost {
  log(lines: string[]): void
  failed(exchange: UpstreamExchange, failure: ExchangeFailure): void
  /** The body passed `proxy.maxBodySize` while it was being sent: 413, the upstream request aborted. */
  bodyTooLarge(req: ProxyRequest, res: ProxyResponse, trace: TraceRecorder): void
}

/** Where the request came from and what it may be retried on: carried along, read only on failure. */
export interface ExchangeContext {
  conn: ConnectionInfo
  route: PlanRoute & { appServer: string }
  tried: Set<string>
  bodyless: boolean
  /** With proxy.cache: the cache and this request's key and miss kind, or the Cache-Status of a request that bypasses it. */
  cache?: { cache: ResponseCache; key: string; fwd: string } | { status: string }
}

/**
 * The headers a client gets for an instance's answer (or a cached one): hop-by-hop headers
 * out, the route's header rules, HSTS, and the encoding the proxy compresses with, if any.
 */
export function clientHeaders(status: number, upstreamHeaders: Record<string, string | string[]>, req: ProxyRequest, settings: ProxySettings, context: Pick<ExchangeContext, 'conn' | 'route'>): { headers: Record<string, string | string[]>; encoding?: 'br' | 'gzip' } {
  const headers = withoutHopByHop(upstreamHeaders) as Record<string, string | string[]>
  if (context.route.headers) applyHeaderEffects(headers, context.route.headers.response)
  if (settings.hsts && context.conn.proto === 'https') headers['strict-transport-security'] = hstsValue(settings.hsts)
  const encoding = settings.compression
    ? chooseEncoding({ acceptEncoding: req.headers['accept-encoding'], contentType: upstreamHeaders['content-type'] as string | undefined, contentEncoding: upstreamHeaders['content-encoding'] as string | undefined, contentLength: upstreamHeaders['content-length'] as string | undefined, status, method: req.method ?? 'GET' })
    : undefined
  if (encoding) {
    delete headers['content-length']
    headers['content-encoding'] = encoding
    headers.vary = varyWithEncoding(upstreamHeaders.vary as string | undefined)
  }
  return { headers, encoding }
}

/**
 * One request forwarded to one app-server instance: the HTTP/1.1 client's handler (http1-client.ts), streaming the
 * answer to the client with back-pressure both ways. A class with methods rather than closures:
 * a request allocates one object, which measured faster on the hot path.
 */
export class UpstreamExchange implements UpstreamHandler {
  /** Set once the request has a connection to the instance: later errors are not the instance refusing connections. */
  private connected = false
  /** The client went away: the upstream request is cancelled, which says nothing about the instance. */
  private clientGone = false
  private released = false
  /** The whole response went to the client. */
  private finished = false
  private controller?: UpstreamController
  private sink?: NodeJS.WritableStream
  private status = 502
  private waitingForDrain = false
  private responseHeaders?: Record<string, string>
  /** The body of an answer the cache will store, as it arrives. */
  private kept?: { chunks: Buffer[]; bytes: number; ttl: number; status: number; headers: Record<string, string | string[]> }

  constructor(
    readonly req: ProxyRequest,
    readonly res: ProxyResponse,
    readonly member: Member,
    private readonly settings: ProxySettings,
    readonly trace: TraceRecorder,
    private readonly stickyId: string | undefined,
    readonly context: ExchangeContext,
    private readonly host: ExchangeHost,
  ) {
    this.onClientClose = this.onClientClose.bind(this)
    // `on`, not `once` (no wrapper per request): each answer emits 'close' and 'finish' once.
    events(res).on('close', this.onClientClose)
    member.inFlight++
  }

  start(pool: Http1Pool, headers: http.OutgoingHttpHeaders): void {
    const { req } = this
    const { bodyless } = this.context
    let body: UpstreamRequest['body'] = bodyless ? null : req
    const unsized = req.headers['content-length'] === undefined
    const limit = this.settings.maxBodySize
    // proxy.traceBodies: the first bytes of both bodies go into the trace (read through a generator, which only then replaces the plain pipe).
    const capture = this.settings.traceBodies ? new BodyCapture(this.settings.traceBodies) : undefined
    if (capture) this.trace.bodies = { request: bodyless ? undefined : capture, response: new BodyCapture(this.settings.traceBodies!) }
    const tee = (b: AsyncIterable<Buffer>) => (capture ? captured(b, capture) : b)
    if (!bodyless && isHttp2Request(req)) body = Readable.from(tee(limitedBody(completeStreamBody(req, this.trace.trace, unsized), unsized ? limit : 0)), { objectMode: false })
    else if (!bodyless && unsized && limit) body = Readable.from(tee(limitedBody(countedBody(req, this.trace.trace), limit)), { objectMode: false })
    else if (!bodyless && capture) body = Readable.from(captured(unsized ? countedBody(req, this.trace.trace) : (req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>), capture), { objectMode: false })
    else if (!bodyless && unsized) {
      const trace = this.trace.trace
      req.on('data', (chunk: Buffer) => (trace.requestBytes! += chunk.length))
      // Paused until the client attaches its own reader (and resumes the body): no chunk goes by unsent.
      req.pause()
    }
    pool.dispatch(
      { method: req.method ?? 'GET', path: this.context.route.stripPrefix ? stripPathPrefix(req.url ?? '/', this.context.route.pathPrefix) : (req.url ?? '/'), headers: headers as UpstreamRequest['headers'], body, headersTimeout: this.settings.timeouts.upstreamResponseMs },
      this,
    )
  }

  onRequestStart(controller: UpstreamController): void {
    this.controller = controller
    if (this.clientGone) return controller.abort(new Error('the client closed the connection'))
    if (!this.connected) {
      this.connected = true
      this.trace.connected()
    }
  }

  onResponseStart(controller: UpstreamController, statusCode: number, upstreamHeaders: Record<string, string | string[]>): void {
    if (statusCode < 200) return
    try {
      this.startResponse(statusCode, upstreamHeaders)
    } catch (err) {
      // An answer the client's protocol cannot carry ends this request only, said in the log and the trace.
      const message = `the answer of ${this.member.upstream.id} could not be sent to the client: ${(err as Error).message}`
      this.host.log([`request ${this.trace.trace.id}: ${message}`])
      this.trace.finish(502, undefined, message)
      // Counted as the client gone: onResponseError, which the abort calls, then only releases.
      this.clientGone = true
      controller.abort(err as Error)
      this.res.destroy()
    }
  }

  private startResponse(statusCode: number, upstreamHeaders: Record<string, string | string[]>): void {
    const { req, res, settings, trace } = this
    recordSuccess(this.member)
    trace.firstByte()
    this.status = statusCode
    const { headers: outHeaders, encoding } = clientHeaders(statusCode, upstreamHeaders, req, settings, this.context)
    this.noteCache(statusCode, upstreamHeaders, outHeaders)
    const id = this.member.upstream.id
    if (settings.loadBalancing === 'sticky' && this.stickyId !== id) {
      const cookie = `${STICKY_COOKIE}=${encodeURIComponent(id)}; Path=/; HttpOnly; SameSite=Lax`
      const existing = outHeaders['set-cookie']
      outHeaders['set-cookie'] = existing ? [...(Array.isArray(existing) ? existing : [String(existing)]), cookie] : [cookie]
    }
    // HTTP/2 takes a single-value field once; HTTP/1 passes the instance's answer through as it came.
    res.writeHead(statusCode, isHttp2Request(req) ? singleValued(outHeaders) : outHeaders)
    this.responseHeaders = maskedHeaders(outHeaders, settings.traceSecrets)
    events(res).on('finish', this.onFinish.bind(this))
    if (encoding) {
      const zip = compressor(encoding)
      pipeline(zip, res as NodeJS.WritableStream, () => undefined)
      this.sink = zip
    } else this.sink = res as NodeJS.WritableStream
  }

  /** With proxy.cache: says in Cache-Status what the cache did, and starts keeping the body of an answer it stores. */
  private noteCache(status: number, upstreamHeaders: Record<string, string | string[]>, outHeaders: Record<string, string | string[]>): void {
    const note = this.context.cache
    if (!note) return
    if ('status' in note) return void (outHeaders['cache-status'] = note.status)
    const verdict = storability(status, upstreamHeaders)
    const length = Number(upstreamHeaders['content-length'] ?? NaN)
    if ('detail' in verdict || this.req.method !== 'GET') return void (outHeaders['cache-status'] = notStoredStatus(note.fwd, 'detail' in verdict ? verdict.detail : 'HEAD'))
    if (length > note.cache.maxEntryBytes) return void (outHeaders['cache-status'] = notStoredStatus(note.fwd, 'larger than an entry may be'))
    outHeaders['cache-status'] = cacheStatus({ fwd: note.fwd, stored: true })
    this.kept = { chunks: [], bytes: 0, ttl: verdict.ttl, status, headers: withoutHopByHop(upstreamHeaders) as Record<string, string | string[]> }
  }

  onResponseData(controller: UpstreamController, chunk: Buffer): void {
    // Bytes as they arrive from the instance (not Content-Length): a HEAD, a 304 or a cut-off answer is traced as it was.
    this.trace.trace.responseBytes! += chunk.length
    this.trace.bodies?.response?.add(chunk)
    if (this.kept) {
      this.kept.chunks.push(chunk)
      this.kept.bytes += chunk.length
      if (this.kept.bytes > (this.context.cache as { cache: ResponseCache }).cache.maxEntryBytes) this.kept = undefined
    }
    if (this.sink!.write(chunk)) return
    // The client reads slower than the instance answers: pause the upstream until the client catches up.
    controller.pause()
    if (!this.waitingForDrain) {
      this.waitingForDrain = true
      this.sink!.on('drain', controller.resume.bind(controller))
    }
  }

  onResponseEnd(): void {
    this.sink!.end()
    const note = this.context.cache
    // Only a whole body is stored (an error or abort never gets here).
    if (this.kept && note && 'key' in note) note.cache.store(note.key, this.req.headers, { status: this.kept.status, headers: this.kept.headers, body: Buffer.concat(this.kept.chunks), storedAt: Date.now(), ttl: this.kept.ttl })
    this.kept = undefined
  }

  onResponseError(_controller: UpstreamController, err: Error & { code?: string }): void {
    this.release()
    const { member, settings, trace, res } = this
    const answered = this.sink !== undefined
    if (err instanceof BodyTooLargeError && !res.headersSent && !this.clientGone) {
      events(res).removeListener('close', this.onClientClose)
      return this.host.bodyTooLarge(this.req, res, trace)
    }
    if (this.clientGone) return trace.finish(answered ? this.status : 499, undefined, answered ? 'the client closed the connection' : 'the client closed the connection before the response')
    const code = err.code ?? ''
    const id = member.upstream.id
    const connectFailure = code === 'CONNECT_TIMEOUT' || (!this.connected && CONNECT_ERRORS.has(code))
    if (connectFailure && recordFailure(member, settings.ejection, Date.now())) {
      this.host.log([`${id} ejected for ${settings.ejection.ejectMs} ms after ${settings.ejection.failures} failed connections`])
    }
    // The client's own timeouts already say which limit passed ("no connection within 2000 ms").
    const message =
      this.connected && !answered && !this.context.bodyless && BODY_WRITE_ERRORS.has(code)
        ? `closed the connection while the request body was being sent (${err.message}); an app that refuses a large upload does this, e.g. with a 413 it sent before reading the body`
        : err.message
    if (res.headersSent) {
      res.destroy()
      return trace.finish(this.status, undefined, `${id}: response aborted: ${message}`)
    }
    events(res).removeListener('close', this.onClientClose)
    const port = member.upstream.port
    if (OUT_OF_FDS.has(code)) {
      const limit = `the proxy has no file descriptor left (limit ${openFileLimit() ?? 'unknown'}); raise it with ulimit -n or close connections`
      this.host.log([`warning: ${id}: ${limit}`])
      this.host.failed(this, { connect: false, status: 503, line: `${id} (port ${port}) could not be reached: ${limit}`, reason: limit })
    } else if (code === 'HEADERS_TIMEOUT') this.host.failed(this, { connect: false, status: 504, line: `${id} (port ${port}) gave ${message}`, reason: message })
    else this.host.failed(this, { connect: connectFailure, status: 502, line: `${id} (port ${port}) did not answer: ${message}`, reason: message })
  }

  private onFinish(): void {
    this.finished = true
    this.release()
    this.trace.finish(this.status, this.responseHeaders)
  }

  private onClientClose(): void {
    // Not res.writableFinished: an HTTP/2 response reports true there after the client's RST_STREAM.
    if (this.finished) return
    this.clientGone = true
    this.controller?.abort(new Error('the client closed the connection'))
  }

  private release(): void {
    if (this.released) return
    this.released = true
    this.member.inFlight--
  }
}

/** A response's events, whichever listener it came on (their typings overload `once` differently). */
const events = (res: ProxyResponse): NodeJS.EventEmitter => res

/**
 * An HTTP/2 request body as the HTTP/1.1 client reads it. A stream the client reset (RST_STREAM) still ends its
 * readable side normally, so the upload is checked for a clean end: a cut-off upload then fails the
 * upstream request, and the app sees an aborted request, never a whole one with a truncated body.
 */
async function* completeStreamBody(req: Http2ServerRequest, trace: Trace, count: boolean): AsyncGenerator<Buffer> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (count) trace.requestBytes! += chunk.length
    yield chunk
  }
  // A reset ends the readable side first and marks the stream aborted just after (same read from the socket):
  // one turn of the event loop tells a complete upload (END_STREAM) from a cut-off one.
  await new Promise((resolve) => setImmediate(resolve))
  const { stream } = req
  if (stream.aborted || stream.destroyed) throw new Error('the client reset the stream before the request body was complete')
}

/** A body without Content-Length grew past `proxy.maxBodySize`. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`the request body grew past proxy.maxBodySize (${limit} bytes)`)
    this.name = 'BodyTooLargeError'
  }
}

/** Passes a body on, keeping its first bytes in `capture`. */
async function* captured(body: AsyncIterable<Buffer>, capture: BodyCapture): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    capture.add(chunk)
    yield chunk
  }
}

/** An HTTP/1.1 chunked body, counted into the trace as it goes. */
async function* countedBody(req: Readable, trace: Trace): AsyncGenerator<Buffer> {
  // Not destroyed when the limit stops the reading: the client still gets its 413.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    trace.requestBytes! += chunk.length
    yield chunk
  }
}

/** Passes a body on until it grows past `limit` bytes (0: no limit), then fails, which aborts the upstream request: the app never gets a whole request. */
async function* limitedBody(body: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let total = 0
  for await (const chunk of body) {
    total += chunk.length
    if (limit && total > limit) throw new BodyTooLargeError(limit)
    yield chunk
  }
}
