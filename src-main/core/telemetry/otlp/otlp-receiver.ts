import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'
import type { AppTelemetry } from './app-telemetry.js'
import { decodeLogs, decodeSpans, type OtlpEncoding } from './otlp-decode.js'

/** The header that carries a stack's key (OTEL_EXPORTER_OTLP_HEADERS): nothing else on the machine can write into a stack's timeline. */
export const OTLP_KEY_HEADER = 'x-aerie-otlp-key'
/** A larger export request is refused with 413 (the SDKs batch 512 spans by default: far less). */
export const OTLP_MAX_BODY = 8 * 1024 * 1024

const ENCODINGS: Record<string, OtlpEncoding> = { 'application/x-protobuf': 'protobuf', 'application/protobuf': 'protobuf', 'application/json': 'json' }

/**
 * An OTLP/HTTP receiver on loopback (`/v1/traces`, `/v1/logs`; protobuf or JSON, gzip or not).
 * Each stack has its own key; a request without a known key is refused (401) and stored nowhere.
 */
export class OtlpReceiver {
  private server?: http.Server
  private readonly keys = new Map<string, string>()
  private readonly stackKeys = new Map<string, string>()

  constructor(private readonly store: AppTelemetry, private readonly onError: (message: string) => void = () => undefined) {}

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res))
    server.requestTimeout = 30_000
    server.headersTimeout = 10_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    this.server = server
  }

  get endpoint(): string {
    const port = (this.server?.address() as AddressInfo | null)?.port
    if (!port) throw new Error('the OTLP receiver is not listening')
    return `http://127.0.0.1:${port}`
  }

  /** The key a stack's instances send (made once per stack for the engine's life). */
  keyFor(stackId: string): string {
    let key = this.stackKeys.get(stackId)
    if (!key) {
      key = crypto.randomBytes(18).toString('base64url')
      this.stackKeys.set(stackId, key)
      this.keys.set(key, stackId)
    }
    return key
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const reply = (status: number, message?: string) => {
      if (res.headersSent) return
      res.writeHead(status, { 'content-type': 'application/json', connection: status >= 400 ? 'close' : 'keep-alive' })
      res.end(message ? JSON.stringify({ code: status, message }) : '{}')
    }
    const path = (req.url ?? '').split('?')[0]
    const signal = path === '/v1/traces' ? 'traces' : path === '/v1/logs' ? 'logs' : undefined
    if (!signal) return void (req.resume(), reply(404, `${path} is not an OTLP endpoint here (/v1/traces, /v1/logs)`))
    if (req.method !== 'POST') return void (req.resume(), reply(405, 'POST an export request'))
    const stackId = this.keys.get(String(req.headers[OTLP_KEY_HEADER] ?? ''))
    if (!stackId) return void (req.resume(), reply(401, `no or unknown ${OTLP_KEY_HEADER}`))
    const encoding = ENCODINGS[String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()]
    if (!encoding) return void (req.resume(), reply(415, 'send application/x-protobuf or application/json'))
    if (Number(req.headers['content-length'] ?? 0) > OTLP_MAX_BODY) return void (req.resume(), reply(413, `an export request holds at most ${OTLP_MAX_BODY} bytes`))
    const gzip = /gzip/i.test(String(req.headers['content-encoding'] ?? ''))
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > OTLP_MAX_BODY) {
        reply(413, `an export request holds at most ${OTLP_MAX_BODY} bytes`)
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => {
      try {
        const raw = Buffer.concat(chunks)
        const body = gzip ? zlib.gunzipSync(raw, { maxOutputLength: OTLP_MAX_BODY * 4 }) : raw
        // Protobuf (what the SDKs send by default) is kept whole and indexed; JSON is decoded now.
        if (encoding === 'protobuf') this.store.addExport(stackId, signal, body)
        else if (signal === 'traces') this.store.addSpans(stackId, decodeSpans(body, encoding))
        else this.store.addLogs(stackId, decodeLogs(body, encoding))
        if (encoding === 'protobuf') {
          // An empty Export*ServiceResponse: full success.
          res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 })
          res.end()
        } else reply(200)
      } catch (err) {
        this.onError(`OTLP ${signal} from stack ${stackId} refused: ${(err as Error).message}`)
        reply(400, (err as Error).message)
      }
    })
    req.on('error', () => undefined)
  }
}
