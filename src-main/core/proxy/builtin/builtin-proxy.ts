import http from 'node:http'
import { randomUUID } from 'node:crypto'
import type { Trace } from '../../../contract.js'
import type { DriverAvailability, ProxyDriver, ProxyHooks, ProxyPlan, RunningProxy, Upstream } from '../proxy-driver.js'
import { portInUseMessage } from '../../supervisor/port-owner.js'
import { hostnameOf, matchRoute, pickRoundRobin, servesHost } from '../routing.js'
import { badGatewayPage, describeUpstreams, noRoutePage, unknownHostPage } from './error-pages.js'
import { nextTraceparent, upstreamRequestHeaders, withoutHopByHop } from './forwarded-headers.js'

/** Upstream connections kept open per instance, so that requests reuse keep-alive sockets. */
const UPSTREAM_MAX_FREE_SOCKETS = 16
/** A client that sends no complete header block within this time gets a 408. */
const CLIENT_HEADERS_TIMEOUT_MS = 30_000

type Route = ProxyPlan['routes'][number]

class BuiltinProxy implements RunningProxy {
  private readonly server: http.Server
  private readonly agent = new http.Agent({ keepAlive: true, maxFreeSockets: UPSTREAM_MAX_FREE_SOCKETS })
  private readonly counters = new Map<string, number>()
  private stopped = false

  constructor(
    private plan: ProxyPlan,
    private readonly hooks: ProxyHooks,
  ) {
    this.server = http.createServer({ headersTimeout: CLIENT_HEADERS_TIMEOUT_MS, requestTimeout: 0 }, (req, res) => this.handle(req, res))
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(portInUseMessage(this.plan.httpPort, this.plan.listenHost, 'proxy.httpPort', 'stop what holds it or pick another port'))
            : err,
        )
      }
      this.server.once('error', onError)
      this.server.listen({ port: this.plan.httpPort, host: this.plan.listenHost, exclusive: true }, () => {
        this.server.off('error', onError)
        this.hooks.log([`built-in proxy listening on http://${this.plan.listenHost}:${this.plan.httpPort}`])
        resolve()
      })
    })
  }

  async reload(plan: ProxyPlan): Promise<void> {
    if (plan.httpPort !== this.plan.httpPort || plan.listenHost !== this.plan.listenHost) {
      throw new Error('the built-in proxy cannot change its listen address while running; restart the stack')
    }
    this.plan = plan
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
    this.agent.destroy()
    this.hooks.log(['built-in proxy stopped'])
  }

  private pick(route: Route): Upstream | undefined {
    const { upstream, next } = pickRoundRobin(route.upstreams, this.counters.get(route.appServer) ?? 0)
    this.counters.set(route.appServer, next)
    return upstream
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now()
    const host = hostnameOf(req.headers.host)
    const path = req.url ?? '/'
    const { header: traceparent, traceId } = nextTraceparent(req.headers.traceparent)
    const trace: Trace = {
      id: randomUUID(),
      time: Date.now(),
      stackId: this.plan.stackId,
      client: req.socket.remoteAddress ?? '',
      protocol: `HTTP/${req.httpVersion}`,
      method: req.method ?? 'GET',
      host,
      path,
      status: 0,
      durationMs: 0,
      traceId,
    }
    const finish = (status: number, error?: string) => {
      trace.status = status
      trace.durationMs = Math.round((performance.now() - started) * 100) / 100
      if (error) trace.error = error
      this.hooks.trace(trace)
    }
    const sendPage = (status: number, html: string, error?: string) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      res.end(html)
      finish(status, error)
    }

    if (!servesHost(this.plan, host)) return sendPage(404, unknownHostPage(host, this.plan.httpPort, this.plan.hostnames), 'unknown host')
    const route = matchRoute(this.plan, path.split('?')[0])
    if (!route) return sendPage(404, noRoutePage(path), 'no route')
    const upstream = this.pick(route)
    if (!upstream) {
      const lines = describeUpstreams(route.upstreams)
      return sendPage(502, badGatewayPage(route.appServer, lines), `no running instance: ${lines.join('; ')}`)
    }
    trace.upstream = upstream.id

    const clientIp = req.socket.remoteAddress ?? ''
    const upstreamReq = http.request({
      host: upstream.host,
      port: upstream.port,
      method: req.method,
      path,
      headers: upstreamRequestHeaders(req.headers, clientIp, 'http', traceparent),
      agent: this.agent,
    })
    upstreamReq.on('response', (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, withoutHopByHop(upstreamRes.headers))
      upstreamRes.pipe(res)
      upstreamRes.on('end', () => finish(upstreamRes.statusCode ?? 502))
      upstreamRes.on('error', (err) => {
        res.destroy(err)
        finish(upstreamRes.statusCode ?? 502, `upstream response aborted: ${err.message}`)
      })
    })
    upstreamReq.on('error', (err) => {
      const lines = [`${upstream.id} (port ${upstream.port}) did not answer: ${err.message}`, ...describeUpstreams(route.upstreams.filter((u) => u !== upstream))]
      if (res.headersSent) {
        res.destroy(err)
        finish(502, err.message)
      } else sendPage(502, badGatewayPage(route.appServer, lines), `${upstream.id}: ${err.message}`)
    })
    req.on('aborted', () => upstreamReq.destroy())
    req.pipe(upstreamReq)
  }
}

export const builtinProxyDriver: ProxyDriver = {
  kind: 'builtin',
  async detect(): Promise<DriverAvailability> {
    return { available: true, version: process.version }
  },
  async start(plan, hooks) {
    const proxy = new BuiltinProxy(plan, hooks)
    await proxy.listen()
    return proxy
  },
}
