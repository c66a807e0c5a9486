import http from 'node:http'
import http2 from 'node:http2'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import { portInUseMessage } from '../../supervisor/port-owner.js'
import { hostnameOf, servesHost } from '../routing.js'
import { unknownHostPage } from './error-pages.js'
import { H2_MAX_CONCURRENT_STREAMS, HEADER_TIMEOUT_CHECK_MS, LIMIT_WARNING_INTERVAL_MS, MAX_HEADER_BYTES, maxClientConnections, openFileLimit, OUT_OF_FDS } from './limits.js'
import { Http1Server } from './http1-server.js'
import { checkRequestTarget, isHttp2Request } from './request-target.js'
import type { ConnectionInfo, ProxyRequest, ProxyResponse, StackProxy, UpgradeRequest } from './stack-proxy.js'
import { CodedError } from '../../error-codes.js'

type Kind = 'http' | 'https'

/**
 * One listening socket of the built-in proxy, shared by every stack that uses its port:
 * requests go to the stack that serves their Host (or TLS SNI name).
 */
class SharedListener {
  /** By object, not stack id: two engines in one process (tests) may both run a stack called "demo". */
  readonly stacks = new Set<StackProxy>()
  private readonly server: Http1Server | http2.Http2SecureServer
  private readonly contexts = new Map<StackProxy, tls.SecureContext>()
  /** TLS handshake durations of new connections (by client address:port), reported once with their first request. */
  private readonly handshakes = new Map<string, number>()
  private readonly acceptedAt = new Map<string, number>()
  /** HTTP/1-over-TLS connections waiting for their first request's headers (Node does not time those). */
  private readonly headerTimers = new WeakMap<object, NodeJS.Timeout>()
  private open = 0
  private readonly maxConnections = maxClientConnections()
  private lastWarning = 0

  constructor(
    readonly kind: Kind,
    readonly host: string,
    readonly port: number,
    first: StackProxy,
  ) {
    const { timeouts } = first.plan.settings
    const clientError = (err: NodeJS.ErrnoException, socket: Duplex) => {
      // The parser already refuses ambiguous framing (Content-Length with Transfer-Encoding, differing
      // Content-Lengths), invalid header characters and oversized headers: answer and never forward.
      if (!socket.writable) return socket.destroy()
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${http.STATUS_CODES[status]} (refused by Aerie's proxy: ${err.code ?? err.message})\n`)
    }
    // After listen, an 'error' is a failed accept (EMFILE at the file limit): without a listener it would end the process.
    const acceptError = (err: NodeJS.ErrnoException) => this.warn(`${this.kind.toUpperCase()} port ${this.port} could not accept a connection: ${err.code ?? err.message}${OUT_OF_FDS.has(err.code ?? '') ? ` (the proxy has no file descriptor left; limit ${openFileLimit() ?? 'unknown'}: raise it with ulimit -n)` : ''}`)
    if (kind === 'http') {
      const server = new Http1Server({ headersTimeoutMs: timeouts.clientHeadersMs, idleMs: timeouts.idleMs, maxHeaderSize: MAX_HEADER_BYTES, checkIntervalMs: HEADER_TIMEOUT_CHECK_MS })
      server.on('request', (req, res) => this.dispatch(req, res))
      server.on('connection', (socket) => this.accept(socket))
      server.on('error', acceptError)
      server.on('upgrade', (req, socket, head) => this.dispatchUpgrade(req, socket, head))
      server.on('clientError', clientError)
      this.server = server
    } else {
      const server = http2.createSecureServer({
        allowHTTP1: true,
        SNICallback: (name, cb) => cb(null, this.contextFor(name)),
        cert: first.plan.tls!.certPem,
        key: first.plan.tls!.keyPem,
        // Node's HTTP/2 server does not apply headersTimeout to its HTTP/1 connections: the handshake and the
        // first request's headers are timed here (see secureConnection), later ones by the idle timeout.
        handshakeTimeout: timeouts.clientHeadersMs,
        // HTTP/1 requests on this server get Node's default header size, which MAX_HEADER_BYTES equals.
        settings: { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS, maxHeaderListSize: MAX_HEADER_BYTES },
      })
      server.on('request', (req: ProxyRequest, res: ProxyResponse) => {
        const timer = this.headerTimers.get(req.socket)
        if (timer) clearTimeout(timer)
        this.dispatch(req, res)
      })
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        const key = `${socket.remoteAddress}:${socket.remotePort}`
        const t0 = this.acceptedAt.get(key)
        this.acceptedAt.delete(key)
        if (socket.alpnProtocol !== 'h2') {
          const timer = setTimeout(() => socket.destroy(), timeouts.clientHeadersMs)
          this.headerTimers.set(socket, timer)
          socket.once('close', () => clearTimeout(timer))
        }
        if (t0 === undefined) return
        this.handshakes.set(key, Math.round((performance.now() - t0) * 100) / 100)
        socket.once('close', () => this.handshakes.delete(key))
      })
      server.on('connection', (socket: Socket) => this.accept(socket))
      server.on('error', acceptError)
      // Idle connections are closed after this (an HTTP/1.1 socket with no 'timeout' listener is destroyed).
      server.setTimeout(timeouts.idleMs)
      server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.dispatchUpgrade(req, socket, head))
      server.on('clientError', clientError)
      this.server = server
    }
    this.attach(first)
  }

  /** Counts a new connection; past the limit it gets a 503 (plain HTTP) or is closed (TLS), with a warning in the log. */
  private accept(socket: Socket): void {
    if (this.kind === 'https') {
      const key = `${socket.remoteAddress}:${socket.remotePort}`
      this.acceptedAt.set(key, performance.now())
      socket.once('close', () => this.acceptedAt.delete(key))
    }
    if (this.open >= this.maxConnections) {
      this.warn(`port ${this.port} is at its limit of ${this.maxConnections} open connections (half the file limit, ${openFileLimit() ?? 'unknown'}, less a reserve): new connections get 503 until some close; raise the limit with ulimit -n`)
      if (this.kind === 'http') socket.end(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nretry-after: 1\r\nconnection: close\r\n\r\nAerie's proxy is at its limit of ${this.maxConnections} open connections.\n`)
      else socket.destroy()
      return
    }
    this.open++
    socket.once('close', () => this.open--)
  }

  /** A warning for the log of every stack on this port, at most once per LIMIT_WARNING_INTERVAL_MS. */
  private warn(line: string): void {
    const now = Date.now()
    if (now - this.lastWarning < LIMIT_WARNING_INTERVAL_MS) return
    this.lastWarning = now
    for (const stack of this.stacks) stack.log([`warning: ${line}`])
  }

  listen(field: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new CodedError('conflict', portInUseMessage(this.port, this.host, field, 'stop what holds it or pick another port')) : err)
      this.server.once('error', onError)
      this.server.listen({ port: this.port, host: this.host, exclusive: true }, () => {
        this.server.off('error', onError)
        resolve()
      })
    })
  }

  attach(stack: StackProxy): void {
    for (const other of this.stacks) {
      if (other === stack) continue
      const clash = stack.plan.hostnames.find((h) => other.plan.hostnames.includes(h))
      if (clash) throw new Error(`${clash} on port ${this.port} is already served by stack "${other.plan.stackId}"; give one of them another host name or port`)
    }
    this.stacks.add(stack)
    if (this.kind === 'https' && stack.plan.tls) this.contexts.set(stack, tls.createSecureContext({ cert: stack.plan.tls.certPem, key: stack.plan.tls.keyPem }))
  }

  detach(stack: StackProxy): void {
    this.stacks.delete(stack)
    this.contexts.delete(stack)
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
      if ('closeAllConnections' in this.server) this.server.closeAllConnections()
    })
  }

  /** The certificate of the stack that serves the SNI name (the first stack's when none does). */
  private contextFor(servername: string): tls.SecureContext | undefined {
    const stack = [...this.stacks].find((s) => servesHost(s.plan, servername.toLowerCase()))
    return this.contexts.get(stack ?? [...this.contexts.keys()][0])
  }

  private connection(req: ProxyRequest, host: string): ConnectionInfo {
    if (this.kind === 'http') return { proto: 'http', host }
    const socket = (isHttp2Request(req) ? req.stream.session?.socket : req.socket) as tls.TLSSocket | undefined
    const key = `${socket?.remoteAddress}:${socket?.remotePort}`
    const tlsMs = this.handshakes.get(key)
    this.handshakes.delete(key)
    return { proto: 'https', host, tls: socket?.getProtocol?.() ?? undefined, tlsMs }
  }

  private stackFor(host: string): StackProxy | undefined {
    for (const stack of this.stacks) if (servesHost(stack.plan, host)) return stack
    return undefined
  }

  /** A fault before a stack takes the request ends that request only, with a line in the port's logs. */
  private dispatch(req: ProxyRequest, res: ProxyResponse): void {
    try {
      this.route(req, res)
    } catch (err) {
      this.warn(`a ${req.method} request for ${String(req.url).slice(0, 200)} failed inside the built-in proxy: ${(err as Error).stack ?? err}`)
      if (res.headersSent) res.destroy()
      else res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end("Internal error in Aerie's proxy; see the stack's log.\n")
    }
  }

  private route(req: ProxyRequest, res: ProxyResponse): void {
    const refusal = checkRequestTarget(req)
    const host = hostnameOf((req.headers[':authority'] as string | undefined) ?? req.headers.host)
    const stack = this.stackFor(host)
    // What no stack serves is traced on the port's first stack, where its user looks.
    const owner = stack ?? this.stacks.values().next().value
    if (!owner) return void res.destroy()
    const conn = this.connection(req, host)
    if (refusal) return owner.answer(req, res, conn, refusal)
    if (stack) return stack.handle(req, res, conn)
    const hostnames = [...this.stacks].flatMap((s) => s.plan.hostnames)
    owner.answer(req, res, conn, { status: 404, reason: `no stack on this port serves ${host || '(no Host header)'}`, html: unknownHostPage(host, this.port, hostnames, this.kind) })
  }

  private dispatchUpgrade(req: UpgradeRequest, socket: Duplex, head: Buffer): void {
    const refusal = checkRequestTarget(req)
    const host = hostnameOf(req.headers.host)
    const stack = this.stackFor(host)
    const owner = stack ?? this.stacks.values().next().value
    if (!owner) return void socket.destroy()
    const conn = this.connection(req, host)
    if (refusal || !stack) return owner.refuseUpgrade(req, socket, conn, refusal?.status === 204 ? 400 : (refusal?.status ?? 404), refusal?.reason ?? `no stack on this port serves ${host || '(no Host header)'}`)
    stack.upgrade(req, socket, head, conn)
  }
}

const listeners = new Map<string, SharedListener>()
const keyOf = (host: string, port: number) => `${host}:${port}`

/** Attaches a stack to the listener on host:port, creating and binding it when it is the first. */
export async function attachStack(kind: Kind, host: string, port: number, stack: StackProxy, field: string): Promise<void> {
  const existing = listeners.get(keyOf(host, port))
  if (existing) {
    if (existing.kind !== kind) {
      const other = [...existing.stacks].map((s) => s.plan.stackId).join(', ')
      throw new Error(`port ${port} already serves ${existing.kind.toUpperCase()} for stack ${other} (stack field ${field}); pick another port`)
    }
    existing.attach(stack)
    return
  }
  const listener = new SharedListener(kind, host, port, stack)
  listeners.set(keyOf(host, port), listener)
  try {
    await listener.listen(field)
  } catch (err) {
    listeners.delete(keyOf(host, port))
    throw err
  }
}

export async function detachStack(host: string, port: number, stack: StackProxy): Promise<void> {
  const listener = listeners.get(keyOf(host, port))
  if (!listener) return
  listener.detach(stack)
  if (listener.stacks.size === 0) {
    listeners.delete(keyOf(host, port))
    await listener.close()
  }
}

/** True when the built-in proxy itself listens on host:port (another stack shares it). */
export function hubListensOn(host: string, port: number): boolean {
  return listeners.has(keyOf(host, port))
}
