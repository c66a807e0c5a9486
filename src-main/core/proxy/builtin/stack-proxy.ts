import http from 'node:http'
import type { Duplex } from 'node:stream'
import { applyHeaderEffects, isRemoval } from '../header-rules.js'
import { hstsValue, type ProxyHooks, type ProxyPlan, type PlanRoute } from '../proxy-driver.js'
import { matchRoute } from '../routing.js'
import { applyRewrite, compileRewrites, type CompiledRewrite } from '../rewrite-rules.js'
import { cacheHit } from './cache-hit.js'
import { badGatewayPage, bodyTooLargePage, describeUpstreams, noRoutePage, tooManyRequestsPage } from './error-pages.js'
import { RateLimiter } from './rate-limiter.js'
import { cacheStatus, requestBypass, ResponseCache, type CachedResponse } from './response-cache.js'
import { forwardedFor, forwardedPrefix, nextTraceparent, stripPathPrefix, upstreamRequestHeaders } from './forwarded-headers.js'
import { HealthChecker } from './health-checker.js'
import { ALLOWED_METHODS, isHttp2Request, type Refusal } from './request-target.js'
import { serveStatic } from './static-files.js'
import { maskedHeaders, TraceRecorder } from './trace-recorder.js'
import { isAvailable, pickMember, stickyIdOf, type Member } from './upstream-pool.js'
import { tunnelUpgrade } from './websocket-tunnel.js'
import { UpstreamConnections } from './upstream-connections.js'
import { UpstreamExchange, type ExchangeContext, type ExchangeFailure, type ExchangeHost, type ProxyRequest, type ProxyResponse, type UpgradeRequest } from './upstream-exchange.js'

const PROTOCOLS: Record<string, string> = { '1.1': 'HTTP/1.1', '1.0': 'HTTP/1.0' }
/** How long the rest of a refused (413) body is read and dropped before the connection is closed. */
const LINGER_MS = 5_000
/** Methods that may be sent again to another instance after a connect failure (no body). */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export type { ProxyRequest, ProxyResponse, UpgradeRequest }

/** A route as traces name it (`/api → web`): one string per route, not one built per request (the trace encoder then finds it without hashing it again). */
const routeLabels = new WeakMap<PlanRoute, string>()
function routeLabel(route: PlanRoute): string {
  let label = routeLabels.get(route)
  if (label === undefined) routeLabels.set(route, (label = `${route.pathPrefix} → ${route.appServer}`))
  return label
}

/** What the listener knows about the connection a request came on. */
export interface ConnectionInfo {
  proto: 'http' | 'https'
  host: string
  tls?: string
  /** The TLS handshake time, on the first request of a new connection only. */
  tlsMs?: number
}

/** One stack's routing, pools and forwarding on the built-in proxy's shared listeners. */
export class StackProxy implements ExchangeHost {
  private readonly connections: UpstreamConnections
  private pools = new Map<string, Member[]>()
  private counters = new Map<string, number>()
  private readonly health = new HealthChecker()

  private limiter?: RateLimiter
  private cache?: ResponseCache
  private rewrites: CompiledRewrite[] = []

  constructor(
    public plan: ProxyPlan,
    private readonly hooks: ProxyHooks,
  ) {
    this.connections = new UpstreamConnections(plan.settings.timeouts.upstreamConnectMs)
    this.update(plan)
  }

  /** Applies a new plan; instance state (failures, ejection, health) carries over by instance id. */
  update(plan: ProxyPlan): void {
    const cacheBytes = (plan.settings.cache?.maxSizeMb ?? 0) * 1024 * 1024
    if (cacheBytes !== (this.cache?.maxBytes ?? 0)) this.cache = cacheBytes ? new ResponseCache(cacheBytes) : undefined
    this.rewrites = compileRewrites(plan.settings.rewrites)
    const previous = new Map([...this.pools.values()].flat().map((m) => [m.upstream.id, m]))
    const limit = plan.settings.rateLimit
    // A new limit starts with full buckets; the same limit keeps them.
    if (JSON.stringify(limit) !== JSON.stringify(this.plan?.settings.rateLimit) || !this.limiter !== !limit) this.limiter = limit && new RateLimiter(limit.requestsPerSecond, limit.burst)
    this.plan = plan
    this.pools = new Map(
      plan.routes
        .filter((r): r is PlanRoute & { appServer: string } => Boolean(r.appServer))
        .map((r) => [r.appServer, r.upstreams.map((u) => ({ ...(previous.get(u.id) ?? { inFlight: 0, failures: 0, ejectedUntil: 0, healthy: true }), upstream: u }))]),
    )
    this.health.watch([...this.pools.values()].flat(), plan.settings.healthCheck)
    this.connections.retain(plan.routes.flatMap((r) => r.upstreams), plan.settings.timeouts.upstreamConnectMs)
  }

  stop(): void {
    this.health.stop()
    this.connections.destroy()
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
        protocol: isHttp2Request(req) ? 'HTTP/2' : (PROTOCOLS[req.httpVersion] ?? `HTTP/${req.httpVersion}`),
        tls: conn.tls,
        tlsMs: conn.tlsMs,
        method: req.method ?? 'GET',
        host: conn.host,
        path,
        requestHeaders: maskedHeaders(req.headers, this.plan.settings.traceSecrets),
      },
      this.hooks.trace,
    )
  }

  /** A request the listener answers itself (refused, or for a host no stack serves), traced on this stack. */
  answer(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo, refusal: Refusal | { status: 404; reason: string; html: string }): void {
    const trace = this.recorder(req, conn, req.url ?? '')
    if (refusal.status === 204) {
      res.writeHead(204, { allow: ALLOWED_METHODS })
      res.end()
      return trace.finish(204)
    }
    const html = 'html' in refusal ? refusal.html : `${http.STATUS_CODES[refusal.status]}: ${refusal.reason}\n`
    sendPage(res, trace, refusal.status, html, refusal.reason, refusal.status === 404 || isHttp2Request(req) ? {} : { connection: 'close' })
  }

  /** The same for an upgrade request, on its raw socket. */
  refuseUpgrade(req: UpgradeRequest, socket: Duplex, conn: ConnectionInfo, status: number, text: string): void {
    socket.end(plainAnswer(status, text))
    this.recorder(req, conn, req.url ?? '').finish(status, undefined, text)
  }

  /** Routes one request. A fault while handling it ends that request only (500, or a reset once answering), logged with its trace id. */
  handle(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo): void {
    const trace = this.recorder(req, conn, req.url ?? '/')
    // On every HTTPS answer: proxied (upstream-exchange.ts sets it over the app's), static, error pages.
    const { hsts } = this.plan.settings
    if (hsts && conn.proto === 'https') res.setHeader('strict-transport-security', hstsValue(hsts))
    try {
      this.route(req, res, conn, trace)
    } catch (err) {
      const message = `internal error in the proxy: ${(err as Error).message}`
      this.hooks.log([`request ${trace.trace.id} (${req.method} ${req.url}) failed inside the built-in proxy: ${(err as Error).stack ?? message}`])
      if (res.headersSent) res.destroy()
      else sendPage(res, trace, 500, `Internal error in Aerie's proxy (request ${trace.trace.id}); see the stack's log.\n`, message)
    }
  }

  private route(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo, trace: TraceRecorder): void {
    const url = req.url ?? '/'
    const { settings } = this.plan
    if (conn.proto === 'http' && settings.redirectToHttps && this.plan.httpsPort) {
      const location = `https://${conn.host.includes(':') ? `[${conn.host}]` : conn.host}:${this.plan.httpsPort}${url}`
      return sendPage(res, trace, 308, `<a href="${location}">${location}</a>`, undefined, { location })
    }
    if (this.limited(req, res, trace)) return
    const rewritten = this.rewrite(req, res, trace, url)
    if (rewritten === undefined) return
    const pathname = rewritten.split('?')[0]
    const route = matchRoute(this.plan, pathname, conn.host)
    if (!route) return sendPage(res, trace, 404, noRoutePage(url), 'no route')
    // The route's response headers on every answer (static files and error pages too); a proxied answer applies them again over the app's.
    for (const effect of route.headers?.response ?? []) if (!isRemoval(effect)) res.setHeader(effect.name, effect.value)
    // Body sizes come from Content-Length when there is one; chunked bodies are counted as they are forwarded.
    const requestLength = req.headers['content-length']
    if (requestLength !== undefined) trace.trace.requestBytes = Number(requestLength) || 0
    // Refused before anything is read or forwarded, as nginx does; a body without Content-Length is counted as it goes (upstream-exchange.ts).
    if (settings.maxBodySize && Number(requestLength) > settings.maxBodySize) return this.bodyTooLarge(req, res, trace)

    if (route.staticDir) {
      const rest = route.pathPrefix === '/' ? pathname : pathname.slice(route.pathPrefix.replace(/\/$/, '').length) || '/'
      void serveStatic(route.staticDir, rest, req, res as http.ServerResponse).then((status) => trace.finish(status))
      return
    }
    this.forward(req, res, conn, route as PlanRoute & { appServer: string }, trace, new Set())
  }

  private forward(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo, route: PlanRoute & { appServer: string }, trace: TraceRecorder, tried: Set<string>, cached?: ExchangeContext['cache']): void {
    const { settings } = this.plan
    if (this.cache && !tried.size && !cached) {
      const bypass = requestBypass(req.method, req.headers)
      if (bypass) cached = { status: cacheStatus(bypass) }
      else {
        const key = `${conn.host} ${req.url}`
        const found = this.cache.lookup(key, req.headers)
        if ('hit' in found) return this.serveCached(req, res, conn, route, trace, found.hit)
        cached = { cache: this.cache, key, fwd: found.fwd === 'uri-miss' ? 'uri-miss' : found.fwd }
      }
    }
    const stickyId = settings.loadBalancing === 'sticky' ? stickyIdOf(req.headers.cookie) : undefined
    const member = this.pick(route.appServer, { stickyId, exclude: tried })
    if (!member) {
      const lines = describeUpstreams(route.upstreams)
      return sendPage(res, trace, 502, badGatewayPage(route.appServer, lines), `no instance available: ${lines.join('; ')}`)
    }
    const { upstream } = member
    trace.trace.upstream = upstream.id
    trace.trace.route = routeLabel(route)
    if (tried.size) trace.trace.retries = tried.size
    // A retry stays in the request's trace (a new span: a new attempt).
    const { header: traceparent, traceId, spanId } = nextTraceparent(trace.trace.traceId ? `00-${trace.trace.traceId}-${trace.trace.spanId}-01` : req.headers.traceparent)
    trace.trace.traceId = traceId
    trace.trace.spanId = spanId
    const headers = upstreamRequestHeaders(req.headers, req.socket?.remoteAddress ?? '', conn.proto, traceparent)
    if (isHttp2Request(req)) headers.host = conn.host + portSuffix(req.headers[':authority'] as string | undefined)
    if (settings.forwardedHeader) headers.forwarded = forwardedFor(req.socket?.remoteAddress ?? '', conn.proto, String(headers.host ?? conn.host))
    if (route.stripPrefix) headers['x-forwarded-prefix'] = forwardedPrefix(route.pathPrefix)
    if (route.headers) applyHeaderEffects(headers as Record<string, unknown>, route.headers.request)
    const bodyless = hasNoBody(req)
    new UpstreamExchange(req, res, member, settings, trace, stickyId, { conn, route, tried, bodyless, cache: cached }, this).start(this.connections.get(upstream), headers)
  }

  /** A fresh stored answer: the same headers a forwarded one gets, with Age and Cache-Status; HEAD gets no body. */
  private serveCached(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo, route: PlanRoute & { appServer: string }, trace: TraceRecorder, entry: CachedResponse): void {
    const { headers, traced, body } = cacheHit(entry, this.cache!, req, conn, route, this.plan.settings)
    trace.trace.upstream = 'cache'
    res.writeHead(entry.status, headers)
    res.end(body)
    trace.trace.responseBytes = body.length
    trace.finish(entry.status, traced)
  }

  /** Empties the cache, or what is under a path prefix; returns how many answers went. */
  purgeCache(prefix?: string): number {
    return this.cache?.purge(prefix) ?? 0
  }

  /**
   * The first rewrite whose pattern matches the path: a redirect is answered here (undefined is
   * returned), an internal one changes the request target the routes and the app see.
   */
  private rewrite(req: ProxyRequest, res: ProxyResponse, trace: TraceRecorder, url: string): string | undefined {
    const applied = applyRewrite(this.rewrites, url)
    if (!applied) return url
    trace.trace.rewrite = applied
    const { target, redirect } = applied
    if (redirect) {
      sendPage(res, trace, redirect, `<a href="${target.replace(/"/g, '&quot;')}">${target.replace(/</g, '&lt;')}</a>`, undefined, { location: target })
      return undefined
    }
    req.url = target
    return target
  }

  /** True (and 429 sent) when the client is over `proxy.rateLimit`. */
  private limited(req: ProxyRequest, res: ProxyResponse, trace: TraceRecorder): boolean {
    const verdict = this.limiter?.take(req.socket?.remoteAddress ?? '')
    if (!verdict || verdict.ok) return false
    const { requestsPerSecond, burst } = this.plan.settings.rateLimit!
    sendPage(res, trace, 429, tooManyRequestsPage(requestsPerSecond, burst, verdict.retryAfterSeconds), `over proxy.rateLimit (${requestsPerSecond}/s, burst ${burst})`, { 'retry-after': String(verdict.retryAfterSeconds) })
    return true
  }

  /**
   * 413. An HTTP/1.1 body still arriving is read and dropped first, for at most LINGER_MS, and
   * the answer follows it: a client still sending gets the answer, never a reset (answering at
   * once raced the rest of its upload into EPIPE). Past LINGER_MS it is answered and closed.
   */
  bodyTooLarge(req: ProxyRequest, res: ProxyResponse, trace: TraceRecorder): void {
    const limit = this.plan.settings.maxBodySize
    const answer = (close: boolean) => {
      if (res.headersSent) return
      sendPage(res, trace, 413, bodyTooLargePage(limit), `the body is larger than proxy.maxBodySize (${limit} bytes)`, close ? { connection: 'close' } : {})
    }
    if (isHttp2Request(req) || req.complete) return answer(false)
    const linger = setTimeout(() => {
      answer(true)
      req.socket.destroySoon()
    }, LINGER_MS)
    linger.unref()
    req.once('end', () => {
      clearTimeout(linger)
      answer(false)
    })
    req.once('close', () => clearTimeout(linger))
    req.resume()
  }

  /** An exchange got no answer: a request without a body goes to another instance after a connect failure, else an error page. */
  failed(x: UpstreamExchange, failure: ExchangeFailure): void {
    const { req, res, trace, context } = x
    const { route, tried } = context
    const failedId = x.member.upstream.id
    if (failure.connect && context.bodyless && RETRYABLE_METHODS.has(req.method ?? '')) {
      tried.add(failedId)
      if ((this.pools.get(route.appServer) ?? []).some((m) => !tried.has(m.upstream.id) && isAvailable(m, Date.now()))) {
        this.hooks.log([`${failedId} did not answer (${failure.reason}); retrying ${req.method} ${req.url} on another instance`])
        return this.forward(req, res, context.conn, route, trace, tried, context.cache)
      }
    }
    const others = failure.status === 502 ? describeUpstreams(route.upstreams.filter((u) => u.id !== failedId)) : []
    sendPage(res, trace, failure.status, badGatewayPage(route.appServer, [failure.line, ...others], failure.status), `${failedId}: ${failure.reason}`)
  }

  log(lines: string[]): void {
    this.hooks.log(lines)
  }

  /** A WebSocket (or other Upgrade) request: tunnelled to an instance as raw TCP after the handshake. */
  upgrade(req: UpgradeRequest, socket: Duplex, head: Buffer, conn: ConnectionInfo): void {
    let url = req.url ?? '/'
    const trace = this.recorder(req, conn, url)
    const refuse = (status: number, text: string, extra = '') => {
      socket.end(plainAnswer(status, text, extra))
      trace.finish(status, undefined, text)
    }
    const verdict = this.limiter?.take(req.socket.remoteAddress ?? '')
    if (verdict && !verdict.ok) return refuse(429, `over proxy.rateLimit; try again in ${verdict.retryAfterSeconds} s`)
    // Rewrites apply to upgrades as to every request (nginx, Apache and Caddy rewrite before they proxy).
    const applied = applyRewrite(this.rewrites, url)
    if (applied) {
      trace.trace.rewrite = applied
      if (applied.redirect) return refuse(applied.redirect, `moved to ${applied.target}`, `location: ${applied.target.replace(/[\r\n]/g, '')}\r\n`)
      url = req.url = applied.target
    }
    const route = matchRoute(this.plan, url.split('?')[0], conn.host)
    if (!route?.appServer) return refuse(404, 'no app server route for this path')
    // A WebSocket (SignalR's, say) must reach the instance that holds its session: the sticky cookie counts here too.
    const stickyId = this.plan.settings.loadBalancing === 'sticky' ? stickyIdOf(req.headers.cookie) : undefined
    const member = this.pick(route.appServer, { stickyId })
    if (!member) return refuse(502, `no instance of ${route.appServer} is available: ${describeUpstreams(route.upstreams).join('; ')}`)
    trace.trace.upstream = member.upstream.id
    trace.trace.route = routeLabel(route)
    const { header: traceparent, traceId, spanId } = nextTraceparent(req.headers.traceparent)
    trace.trace.traceId = traceId
    trace.trace.spanId = spanId
    const headers = upstreamRequestHeaders(req.headers, req.socket.remoteAddress ?? '', conn.proto, traceparent)
    headers.connection = 'Upgrade'
    headers.upgrade = req.headers.upgrade
    if (route.stripPrefix) headers['x-forwarded-prefix'] = forwardedPrefix(route.pathPrefix)
    if (route.headers) applyHeaderEffects(headers as Record<string, unknown>, route.headers.request)
    let status = 0
    tunnelUpgrade(req, socket, head, { host: member.upstream.host, port: member.upstream.port, connectTimeoutMs: this.plan.settings.timeouts.upstreamConnectMs, path: route.stripPrefix ? stripPathPrefix(url, route.pathPrefix) : url }, headers, {
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

/**
 * True when the request carries no body. HTTP/1.1 says so with its framing headers; an HTTP/2
 * body needs no Content-Length, so there only a stream closed with the headers has none.
 */
function hasNoBody(req: ProxyRequest): boolean {
  const length = req.headers['content-length']
  if (length === '0') return true
  if (isHttp2Request(req)) return length === undefined && req.stream.endAfterHeaders
  return length === undefined && !req.headers['transfer-encoding']
}

/** A whole HTTP/1.1 answer in plain text that closes the connection, for a raw socket. */
function plainAnswer(status: number, text: string, extraHeaders = ''): string {
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\nconnection: close\r\n${extraHeaders}\r\n${text}\n`
}

/** An answer made here (redirect, error page), traced like a forwarded one. */
function sendPage(res: ProxyResponse, trace: TraceRecorder, status: number, html: string, error?: string, headers: http.OutgoingHttpHeaders = {}): void {
  if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(html)
  trace.finish(status, undefined, error)
}

function portSuffix(authority: string | undefined): string {
  const match = authority ? /:(\d+)$/.exec(authority) : null
  return match ? `:${match[1]}` : ''
}
