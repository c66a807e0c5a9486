import http from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream'
import type { ProxyHooks, ProxyPlan, PlanRoute } from '../proxy-driver.js'
import { matchRoute } from '../routing.js'
import { chooseEncoding, compressor, varyWithEncoding } from './compression.js'
import { badGatewayPage, describeUpstreams, noRoutePage } from './error-pages.js'
import { forwardedFor, nextTraceparent, upstreamRequestHeaders, withoutHopByHop } from './forwarded-headers.js'
import { HealthChecker } from './health-checker.js'
import { serveStatic } from './static-files.js'
import { maskedHeaders, TraceRecorder } from './trace-recorder.js'
import { isAvailable, pickMember, recordFailure, recordSuccess, STICKY_COOKIE, stickyIdOf, type Member } from './upstream-pool.js'
import { tunnelUpgrade } from './websocket-tunnel.js'

/** Idle keep-alive sockets kept per upstream instance. */
const UPSTREAM_MAX_FREE_SOCKETS = 64
/** Methods that may be sent again to another instance after a connect failure (no body). */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export type ProxyRequest = http.IncomingMessage | Http2ServerRequest
export type ProxyResponse = http.ServerResponse | Http2ServerResponse

/** What the listener knows about the connection a request came on. */
export interface ConnectionInfo {
  proto: 'http' | 'https'
  host: string
  tls?: string
  /** The TLS handshake time, on the first request of a new connection only. */
  tlsMs?: number
}

class UpstreamTimeout extends Error {
  constructor(
    readonly kind: 'connect' | 'response',
    ms: number,
  ) {
    super(kind === 'connect' ? `no connection within ${ms} ms` : `no response within ${ms} ms`)
  }
}

/** One stack's routing, pools and forwarding on the built-in proxy's shared listeners. */
export class StackProxy {
  private readonly agent = new http.Agent({ keepAlive: true, maxFreeSockets: UPSTREAM_MAX_FREE_SOCKETS, scheduling: 'lifo' })
  private pools = new Map<string, Member[]>()
  private counters = new Map<string, number>()
  private readonly health = new HealthChecker()

  constructor(
    public plan: ProxyPlan,
    private readonly hooks: ProxyHooks,
  ) {
    this.update(plan)
  }

  /** Applies a new plan; instance state (failures, ejection, health) carries over by instance id. */
  update(plan: ProxyPlan): void {
    const previous = new Map([...this.pools.values()].flat().map((m) => [m.upstream.id, m]))
    this.plan = plan
    this.pools = new Map(
      plan.routes
        .filter((r): r is PlanRoute & { appServer: string } => Boolean(r.appServer))
        .map((r) => [r.appServer, r.upstreams.map((u) => ({ ...(previous.get(u.id) ?? { inFlight: 0, failures: 0, ejectedUntil: 0, healthy: true }), upstream: u }))]),
    )
    this.health.watch([...this.pools.values()].flat(), plan.settings.healthCheck)
  }

  stop(): void {
    this.health.stop()
    this.agent.destroy()
  }

  private pick(appServer: string, options: { stickyId?: string; exclude?: ReadonlySet<string> }): Member | undefined {
    const members = this.pools.get(appServer) ?? []
    const { member, next } = pickMember(members, this.plan.settings.loadBalancing, this.counters.get(appServer) ?? 0, Date.now(), options)
    this.counters.set(appServer, next)
    return member
  }

  private recorder(req: ProxyRequest, conn: ConnectionInfo, path: string): TraceRecorder {
    return new TraceRecorder(
      {
        stackId: this.plan.stackId,
        client: req.socket?.remoteAddress ?? '',
        protocol: req.httpVersion === '2.0' ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
        tls: conn.tls,
        method: req.method ?? 'GET',
        host: conn.host,
        path,
        timings: { totalMs: 0, tlsMs: conn.tlsMs },
        requestHeaders: maskedHeaders(req.headers, this.plan.settings.traceSecrets),
      },
      this.hooks.trace,
    )
  }

  handle(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo): void {
    const url = req.url ?? '/'
    const trace = this.recorder(req, conn, url)
    const sendPage = (status: number, html: string, error?: string, headers: http.OutgoingHttpHeaders = {}) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers })
      res.end(html)
      trace.finish(status, undefined, error)
    }
    const { settings } = this.plan
    if (conn.proto === 'http' && settings.redirectToHttps && this.plan.httpsPort) {
      const location = `https://${conn.host.includes(':') ? `[${conn.host}]` : conn.host}:${this.plan.httpsPort}${url}`
      return sendPage(308, `<a href="${location}">${location}</a>`, undefined, { location })
    }
    const pathname = url.split('?')[0]
    const route = matchRoute(this.plan, pathname)
    if (!route) return sendPage(404, noRoutePage(url), 'no route')
    // Body sizes come from Content-Length when there is one; only chunked bodies are counted (a listener per chunk).
    const requestLength = req.headers['content-length']
    if (requestLength !== undefined) trace.trace.requestBytes = Number(requestLength) || 0
    else if (req.headers['transfer-encoding']) req.on('data', (chunk: Buffer) => (trace.trace.requestBytes! += chunk.length))

    if (route.staticDir) {
      const rest = route.pathPrefix === '/' ? pathname : pathname.slice(route.pathPrefix.replace(/\/$/, '').length) || '/'
      void serveStatic(route.staticDir, rest, req, res as http.ServerResponse).then((status) => trace.finish(status))
      return
    }
    this.forward(req, res, conn, route as PlanRoute & { appServer: string }, trace, new Set(), sendPage)
  }

  private forward(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo, route: PlanRoute & { appServer: string }, trace: TraceRecorder, tried: Set<string>, sendPage: (status: number, html: string, error?: string) => void): void {
    const { settings } = this.plan
    const stickyId = settings.loadBalancing === 'sticky' ? stickyIdOf(req.headers.cookie) : undefined
    const member = this.pick(route.appServer, { stickyId, exclude: tried })
    if (!member) {
      const lines = describeUpstreams(route.upstreams)
      return sendPage(502, badGatewayPage(route.appServer, lines), `no instance available: ${lines.join('; ')}`)
    }
    const { upstream } = member
    trace.trace.upstream = upstream.id
    const { header: traceparent, traceId } = nextTraceparent(req.headers.traceparent)
    trace.trace.traceId = traceId
    const headers = upstreamRequestHeaders(req.headers, req.socket?.remoteAddress ?? '', conn.proto, traceparent)
    if (req.httpVersion === '2.0') headers.host = conn.host + portSuffix(req.headers[':authority'] as string | undefined)
    if (settings.forwardedHeader) headers.forwarded = forwardedFor(req.socket?.remoteAddress ?? '', conn.proto, String(headers.host ?? conn.host))

    member.inFlight++
    let released = false
    const release = () => {
      if (!released) {
        released = true
        member.inFlight--
      }
    }
    const upstreamReq = http.request({ host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers, agent: this.agent })
    /** Set once a socket to the instance is open: later errors are not the instance refusing connections. */
    let connected = false
    /** The client went away: the upstream request is cancelled, which says nothing about the instance. */
    let clientGone = false
    const responseTimer = setTimeout(() => upstreamReq.destroy(new UpstreamTimeout('response', settings.timeouts.upstreamResponseMs)), settings.timeouts.upstreamResponseMs)
    upstreamReq.on('socket', (socket) => {
      if (!socket.connecting) {
        connected = true
        return
      }
      const connectTimer = setTimeout(() => upstreamReq.destroy(new UpstreamTimeout('connect', settings.timeouts.upstreamConnectMs)), settings.timeouts.upstreamConnectMs)
      socket.once('connect', () => {
        connected = true
        clearTimeout(connectTimer)
        trace.connected()
      })
      socket.once('close', () => clearTimeout(connectTimer))
    })

    upstreamReq.on('response', (upstreamRes) => {
      clearTimeout(responseTimer)
      recordSuccess(member)
      trace.firstByte()
      const status = upstreamRes.statusCode ?? 502
      const outHeaders = withoutHopByHop(upstreamRes.headers)
      if (settings.loadBalancing === 'sticky' && stickyId !== upstream.id) {
        const cookie = `${STICKY_COOKIE}=${encodeURIComponent(upstream.id)}; Path=/; HttpOnly; SameSite=Lax`
        const existing = outHeaders['set-cookie']
        outHeaders['set-cookie'] = existing ? [...(Array.isArray(existing) ? existing : [String(existing)]), cookie] : [cookie]
      }
      const encoding = settings.compression
        ? chooseEncoding({ acceptEncoding: req.headers['accept-encoding'], contentType: upstreamRes.headers['content-type'], contentEncoding: upstreamRes.headers['content-encoding'], contentLength: upstreamRes.headers['content-length'], status, method: req.method ?? 'GET' })
        : undefined
      if (encoding) {
        delete outHeaders['content-length']
        outHeaders['content-encoding'] = encoding
        outHeaders.vary = varyWithEncoding(upstreamRes.headers.vary)
      }
      res.writeHead(status, outHeaders)
      const responseLength = upstreamRes.headers['content-length']
      if (responseLength !== undefined && !encoding) trace.trace.responseBytes = Number(responseLength) || 0
      else upstreamRes.on('data', (chunk: Buffer) => (trace.trace.responseBytes! += chunk.length))
      const responseHeaders = maskedHeaders(outHeaders, settings.traceSecrets)
      const done = (err?: Error | null) => {
        release()
        if (err) res.destroy()
        trace.finish(status, responseHeaders, err ? `response aborted: ${err.message}` : undefined)
      }
      if (encoding) pipeline(upstreamRes, compressor(encoding), res as NodeJS.WritableStream, done)
      else {
        // pipe() rather than pipeline(): measured 30–50 % more small responses per second (no AbortSignal and
        // end-of-stream bookkeeping per request); errors and early closes are handled here instead.
        upstreamRes.pipe(res as NodeJS.WritableStream)
        upstreamRes.once('error', done)
        res.once('finish', () => done())
        res.once('close', () => {
          if (!res.writableFinished) done(new Error('the client closed the connection'))
        })
      }
    })

    upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(responseTimer)
      release()
      if (clientGone) return trace.finish(499, undefined, 'the client closed the connection before the response')
      const connectFailure = err instanceof UpstreamTimeout ? err.kind === 'connect' : !connected && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(err.code ?? '')
      if (connectFailure && recordFailure(member, settings.ejection, Date.now())) {
        this.hooks.log([`${upstream.id} ejected for ${settings.ejection.ejectMs} ms after ${settings.ejection.failures} failed connections`])
      }
      if (res.headersSent) {
        res.destroy()
        return trace.finish(502, undefined, `${upstream.id}: ${err.message}`)
      }
      const bodyless = !req.headers['content-length'] || req.headers['content-length'] === '0'
      if (connectFailure && RETRYABLE_METHODS.has(req.method ?? '') && bodyless && !req.headers['transfer-encoding']) {
        tried.add(upstream.id)
        const others = (this.pools.get(route.appServer) ?? []).filter((m) => !tried.has(m.upstream.id) && isAvailable(m, Date.now()))
        if (others.length) {
          this.hooks.log([`${upstream.id} did not answer (${err.message}); retrying ${req.method} ${req.url} on another instance`])
          return this.forward(req, res, conn, route, trace, tried, sendPage)
        }
      }
      if (err instanceof UpstreamTimeout && err.kind === 'response') {
        return sendPage(504, badGatewayPage(route.appServer, [`${upstream.id} (port ${upstream.port}) gave ${err.message}`], 504), `${upstream.id}: ${err.message}`)
      }
      const lines = [`${upstream.id} (port ${upstream.port}) did not answer: ${err.message}`, ...describeUpstreams(route.upstreams.filter((u) => u !== upstream))]
      sendPage(502, badGatewayPage(route.appServer, lines), `${upstream.id}: ${err.message}`)
    })
    res.on('close', () => {
      if (res.writableFinished) return
      clientGone = true
      upstreamReq.destroy()
    })
    if (tried.size === 0) req.pipe(upstreamReq)
    else upstreamReq.end()
  }

  /** A WebSocket (or other Upgrade) request: tunnelled to an instance as raw TCP after the handshake. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, conn: ConnectionInfo): void {
    const url = req.url ?? '/'
    const trace = this.recorder(req, conn, url)
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${text}\n`)
      trace.finish(status, undefined, text)
    }
    const route = matchRoute(this.plan, url.split('?')[0])
    if (!route?.appServer) return refuse(404, 'no app server route for this path')
    const member = this.pick(route.appServer, {})
    if (!member) return refuse(502, `no instance of ${route.appServer} is available: ${describeUpstreams(route.upstreams).join('; ')}`)
    trace.trace.upstream = member.upstream.id
    const { header: traceparent, traceId } = nextTraceparent(req.headers.traceparent)
    trace.trace.traceId = traceId
    const headers = upstreamRequestHeaders(req.headers, req.socket.remoteAddress ?? '', conn.proto, traceparent)
    headers.connection = 'Upgrade'
    headers.upgrade = req.headers.upgrade
    let status = 0
    tunnelUpgrade(req, socket, head, { host: member.upstream.host, port: member.upstream.port, connectTimeoutMs: this.plan.settings.timeouts.upstreamConnectMs }, headers, {
      onStatus: (s) => {
        status = s
        trace.firstByte()
      },
      onError: (err) => refuse(502, `${member.upstream.id} did not answer: ${err.message}`),
      onClose: (bytesIn, bytesOut) => {
        trace.trace.requestBytes = bytesIn
        trace.trace.responseBytes = bytesOut
        if (status) trace.finish(status)
      },
    })
  }
}

function portSuffix(authority: string | undefined): string {
  const match = authority ? /:(\d+)$/.exec(authority) : null
  return match ? `:${match[1]}` : ''
}
