import http from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { eventNames, isCommandName, type EngineApi, type EventName } from '../contract.js'
import { ClientMessageSchema, INVOKE_PATH, WS_PATH, type ServerMessage } from './wire.js'
import { checkHost, checkOrigin, tokenMatches, tokenOf } from './request-guard.js'
import { serveRenderer } from './static-files.js'
import { toCommandError } from '../core/command-error.js'
import { ERROR_CODES } from '../core/error-codes.js'

/** Largest command body accepted over HTTP or WebSocket (a stack definition is a few KB). */
const MAX_MESSAGE_BYTES = 1024 * 1024
/** Past this many unsent bytes, a slow WebSocket client misses log/trace events rather than grow memory. */
const WS_BACKPRESSURE_BYTES = 8 * 1024 * 1024
/** How often a client that events were dropped for is checked for having caught up. */
const CATCH_UP_CHECK_MS = 100
type DroppableEvent = 'log:lines' | 'trace:batch'

export interface HeadlessServer {
  port: number
  token: string
  /** The URL to open, token included. */
  url: string
  close(): Promise<void>
}

/**
 * `backpressureBytes`: how far behind a client's socket may be before log lines and traces are
 * dropped for it (and it is told so); AERIE_WS_BACKPRESSURE_BYTES sets it, for tests that force drops.
 */
export async function startHeadlessServer(options: { engine: EngineApi; rendererDir: string; port?: number; token?: string; backpressureBytes?: number }): Promise<HeadlessServer> {
  const backpressureBytes = options.backpressureBytes ?? (Number(process.env.AERIE_WS_BACKPRESSURE_BYTES) || WS_BACKPRESSURE_BYTES)
  const { engine, rendererDir } = options
  const token = options.token ?? randomBytes(24).toString('base64url')
  let port = options.port ?? 0

  const reject = (res: http.ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    const code = status === 404 ? 'not-found' : status === 400 ? 'invalid' : 'denied'
    res.end(JSON.stringify({ ok: false, error: { code, message } }))
  }

  const server = http.createServer(async (req, res) => {
    const hostProblem = checkHost(req, port)
    if (hostProblem) return reject(res, 421, hostProblem)
    let url: URL
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    } catch {
      return reject(res, 400, 'malformed URL')
    }
    if (!url.pathname.startsWith('/api/')) {
      try {
        return serveRenderer(rendererDir, req, res, url.pathname)
      } catch {
        return reject(res, 400, 'malformed path')
      }
    }
    const originProblem = checkOrigin(req, port)
    if (originProblem) return reject(res, 403, originProblem)
    if (!tokenMatches(tokenOf(req, url), token)) return reject(res, 401, 'missing or wrong token; use the URL `aerie serve` printed')
    if (req.method !== 'POST' || !url.pathname.startsWith(INVOKE_PATH)) return reject(res, 404, `unknown API path ${url.pathname}`)
    const name = decodeURIComponent(url.pathname.slice(INVOKE_PATH.length))
    if (!isCommandName(name)) return reject(res, 404, `unknown command "${name}"`)
    let body: unknown
    try {
      body = JSON.parse((await readBody(req)) || '{}')
    } catch (err) {
      return reject(res, 400, `request body is not JSON: ${(err as Error).message}`)
    }
    try {
      const result = await engine.invoke(name, body as never)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, result }))
    } catch (err) {
      const error = toCommandError(err)
      res.writeHead(ERROR_CODES[error.code ?? 'failed'].http, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: false, error }))
    }
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const problem =
      checkHost(req, port) ?? checkOrigin(req, port) ?? (url.pathname !== WS_PATH ? `unknown path ${url.pathname}` : undefined) ?? (tokenMatches(tokenOf(req, url), token) ? undefined : 'missing or wrong token')
    if (problem) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${problem}\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws, engine, backpressureBytes))
  })

  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      rejectListen(err.code === 'EADDRINUSE' ? new Error(`port ${port} on 127.0.0.1 is already in use; pick another with --port`) : err),
    )
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve())
  })
  port = (server.address() as AddressInfo).port

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function attachClient(ws: WebSocket, engine: EngineApi, backpressureBytes: number): void {
  // Events dropped for this client while its socket was behind, and the check for when it caught up.
  const dropped = new Set<DroppableEvent>()
  let catchUp: NodeJS.Timeout | undefined
  const send = (message: ServerMessage) => {
    if (ws.readyState !== ws.OPEN) return
    ws.send(JSON.stringify(message))
  }
  const sendEvent = (name: EventName, payload: unknown) => {
    if (ws.readyState !== ws.OPEN) return
    if ((name === 'log:lines' || name === 'trace:batch') && (dropped.size || ws.bufferedAmount > backpressureBytes)) {
      // Never silently: once the socket has drained, the client is told what it missed and asks again.
      dropped.add(name)
      catchUp ??= setInterval(() => {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount > backpressureBytes / 2) return
        clearInterval(catchUp)
        catchUp = undefined
        const names = [...dropped]
        dropped.clear()
        send({ type: 'event', name: 'stream:dropped', payload: { names } })
      }, CATCH_UP_CHECK_MS)
      return
    }
    send({ type: 'event', name, payload } as ServerMessage)
  }
  const disposers = eventNames.map((name) => engine.on(name, (payload) => sendEvent(name, payload)))
  ws.on('close', () => {
    disposers.forEach((d) => d())
    if (catchUp) clearInterval(catchUp)
  })
  ws.on('message', async (data) => {
    let parsed
    try {
      parsed = ClientMessageSchema.safeParse(JSON.parse(String(data)))
    } catch {
      parsed = undefined
    }
    if (!parsed?.success) return send({ type: 'result', id: -1, ok: false, error: { message: 'message is not a valid invoke message' } })
    const { id, name, request } = parsed.data
    if (!isCommandName(name)) return send({ type: 'result', id, ok: false, error: { message: `unknown command "${name}"` } })
    try {
      send({ type: 'result', id, ok: true, result: await engine.invoke(name, request as never) })
    } catch (err) {
      send({ type: 'result', id, ok: false, error: toCommandError(err) })
    }
  })
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, rejectBody) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_MESSAGE_BYTES) {
        rejectBody(new Error(`body larger than ${MAX_MESSAGE_BYTES} bytes`))
        req.destroy()
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', rejectBody)
  })
}
