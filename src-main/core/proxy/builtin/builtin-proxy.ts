import http from 'node:http'
import https from 'node:https'
import type { TLSSocket } from 'node:tls'
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
  private readonly tlsServer?: https.Server
  private readonly agent = new http.Agent({ keepAlive: true, maxFreeSockets: UPSTREAM_MAX_FREE_SOCKETS })
  private readonly counters = new Map<string, number>()
  private stopped = false

  constructor(
    private plan: ProxyPlan,
    private readonly hooks: ProxyHooks,
  ) {
    const options = { headersTimeout: CLIENT_HEADERS_TIMEOUT_MS, requestTimeout: 0 }
    this.server = http.createServer(options, (req, res) => this.handle(req, res, 'http'))
    if (plan.tls && plan.httpsPort) this.tlsServer = https.createServer({ ...options, cert: plan.tls.certPem, key: plan.tls.keyPem }, (req, res) => this.handle(req, res, 'https'))
  }

  async listen(): Promise<void> {
    await listenOn(this.server, this.plan.httpPort, this.plan.listenHost, 'proxy.httpPort')
    this.hooks.log([`built-in proxy listening on http://${this.plan.listenHost}:${this.plan.httpPort}`])
    if (this.tlsServer && this.plan.httpsPort) {
      try {
        await listenOn(this.tlsServer, this.plan.httpsPort, this.plan.listenHost, 'proxy.httpsPort')
      } catch (err) {
        await this.stop()
        throw err
      }
      this.hooks.log([`built-in proxy listening on https://${this.plan.listenHost}:${this.plan.httpsPort}`])
    }
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
    await Promise.all([this.server, this.tlsServer].filter((s) => s?.listening).map((server) => new Promise<void>((resolve) => {
      server!.close(() => resolve())
      server!.closeAllConnections()
    })))
    this.agent.destroy()
    this.hooks.log(['built-in proxy stopped'])
  }

  private pick(route: Route): Upstream | undefined {
    const { upstream, next } = pickRoundRobin(route.upstreams, this.counters.get(route.appServer) ?? 0)
    this.counters.set(route.appServer, next)
    return upstream
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, proto: 'http' | 'https'): void {
    const started = performance.now()
    const host = hostnameOf(req.headers.host)
    const path = req.url ?? '/'
    const { header: traceparent, traceId } = nextTraceparent(req.headers.traceparent)
    const trace: Trace = {
      id: randomUUID(),
      time: Date.now(),
      stackId: this.plan.stackId,
      client: req.socket.remoteAddress ?? '',
      protocol: proto === 'https' ? `HTTP/${req.httpVersion} ${(req.socket as TLSSocket).getProtocol?.() ?? 'TLS'}` : `HTTP/${req.httpVersion}`,
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

    if (!servesHost(this.plan, host)) return sendPage(404, unknownHostPage(host, proto === 'https' ? this.plan.httpsPort! : this.plan.httpPort, this.plan.hostnames, proto), 'unknown host')
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
      headers: upstreamRequestHeaders(req.headers, clientIp, proto, traceparent),
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

function listenOn(server: http.Server, port: number, host: string, field: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(portInUseMessage(port, host, field, 'stop what holds it or pick another port')) : err)
    server.once('error', onError)
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError)
      resolve()
    })
  })
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
