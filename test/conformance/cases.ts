import http from 'node:http'
import http2 from 'node:http2'
import type { ProxyPlan } from '../../src-main/core/proxy/proxy-driver.js'
import { get } from '../support/http-client.js'
import { raw } from '../support/raw-client.js'
import { wsRoundTrip } from '../support/ws-round-trip.js'
import { BIG_BYTES, HOST } from './fixture.js'

/** Where a case sends its requests: one engine serving the fixture's plan. */
export interface CaseTarget {
  plan: ProxyPlan
  ca: string
}

/**
 * One request case: it returns what it observed as a short string. The built-in proxy's answer is
 * the reference; an engine that answers otherwise needs a reason in differences.ts.
 */
export interface ConformanceCase {
  id: string
  title: string
  run(t: CaseTarget): Promise<string>
}

const hostHeader = (t: CaseTarget) => `${HOST}:${t.plan.httpPort}`
const seen = async (t: CaseTarget, path: string, headers: Record<string, string> = {}) => {
  const res = await get(t.plan.httpPort, path, hostHeader(t), headers)
  return { status: res.status, body: res.status === 200 && res.headers['content-type'] === 'application/json' ? JSON.parse(res.body) : undefined, res }
}

export const CASES: ConformanceCase[] = [
  {
    id: 'host-and-forwarded',
    title: 'the app sees the client\'s Host, X-Forwarded-Proto and the client in X-Forwarded-For',
    async run(t) {
      const { status, body } = await seen(t, '/hello')
      return `${status} host=${body?.headers.host === hostHeader(t)} proto=${body?.headers['x-forwarded-proto']} for=${String(body?.headers['x-forwarded-for']).endsWith('127.0.0.1')}`
    },
  },
  {
    id: 'client-forwarded-for',
    title: 'a client-sent X-Forwarded-For is kept, with the client appended',
    async run(t) {
      const { body } = await seen(t, '/xff', { 'x-forwarded-for': '6.6.6.6' })
      return String(body?.headers['x-forwarded-for'])
    },
  },
  {
    id: 'client-forwarded-host',
    title: 'a client-sent X-Forwarded-Host does not reach the app as sent',
    async run(t) {
      const { body } = await seen(t, '/xfh', { 'x-forwarded-host': 'evil.example' })
      const value = String(body?.headers['x-forwarded-host'] ?? '(none)')
      return value.includes('evil.example') ? `passed on: ${value.replace(String(t.plan.httpPort), 'PORT')}` : 'replaced or dropped'
    },
  },
  {
    id: 'traceparent',
    title: 'the app gets a W3C traceparent',
    async run(t) {
      const { body } = await seen(t, '/trace')
      return /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(String(body?.headers.traceparent)) ? 'added' : 'none'
    },
  },
  {
    id: 'two-routes-one-app',
    title: 'two routes (/ and /api) to one app server',
    async run(t) {
      const [root, api] = [await seen(t, '/x'), await seen(t, '/api/x')]
      return `${root.status} ${api.status} ${api.body?.url}`
    },
  },
  {
    id: 'load-balancing',
    title: 'round robin reaches both instances',
    async run(t) {
      const ids = new Set<string>()
      for (let i = 0; i < 8; i++) ids.add((await seen(t, `/lb/${i}`)).body?.id)
      return [...ids].sort().join(' ')
    },
  },
  {
    id: 'static-file',
    title: 'a static file with its Content-Type',
    async run(t) {
      const res = await get(t.plan.httpPort, '/static/hello.txt', hostHeader(t))
      return `${res.status} ${String(res.headers['content-type']).replace(/;\s*/, '; ')} ${res.body.trim()}`
    },
  },
  {
    id: 'static-conditional',
    title: 'a static file answers If-None-Match with 304',
    async run(t) {
      const first = await get(t.plan.httpPort, '/static/hello.txt', hostHeader(t))
      const etag = String(first.headers.etag ?? '')
      return etag ? String((await get(t.plan.httpPort, '/static/hello.txt', hostHeader(t), { 'if-none-match': etag })).status) : 'no ETag'
    },
  },
  {
    id: 'static-range',
    title: 'a static file answers a byte range',
    async run(t) {
      const res = await get(t.plan.httpPort, '/static/hello.txt', hostHeader(t), { range: 'bytes=0-4' })
      return `${res.status} ${res.body}`
    },
  },
  {
    id: 'static-dotfile',
    title: 'a dotfile in a static folder is not served',
    async run(t) {
      const res = await get(t.plan.httpPort, '/static/.env', hostHeader(t))
      return res.body.includes('SECRET') ? `served (${res.status})` : 'not served'
    },
  },
  {
    id: 'static-symlink-out',
    title: 'a symbolic link out of a static folder is not followed',
    async run(t) {
      const res = await get(t.plan.httpPort, '/static/escape.txt', hostHeader(t))
      return res.body.includes('outside the folder') ? `followed (${res.status})` : 'not followed'
    },
  },
  {
    id: 'path-traversal',
    title: '/static/../ and its encodings do not leave the folder',
    async run(t) {
      for (const p of ['/static/../outside.txt', '/static/%2e%2e/outside.txt', '/static/..%2foutside.txt']) {
        const out = await raw(t.plan.httpPort, `GET ${p} HTTP/1.1\r\nHost: ${hostHeader(t)}\r\nConnection: close\r\n\r\n`)
        if (out.includes('outside the folder')) return `escaped with ${p}`
      }
      return 'contained'
    },
  },
  {
    id: 'hostile-folder-name',
    title: 'a static folder named with spaces, quotes, braces, ; and # is served, and its name changes no config',
    async run(t) {
      const file = await get(t.plan.httpPort, '/odd/file.txt', hostHeader(t))
      const pwned = await get(t.plan.httpPort, '/pwned', hostHeader(t))
      return `${file.status} injected=${pwned.body.includes('injected')}`
    },
  },
  {
    id: 'upload-10mb',
    title: 'a 10 MB upload reaches the app whole',
    run: (t) =>
      new Promise((resolve) => {
        const body = Buffer.alloc(10 * 1024 * 1024, 98)
        const req = http.request({ host: '127.0.0.1', port: t.plan.httpPort, path: '/upload', method: 'POST', headers: { host: hostHeader(t), 'content-length': body.length }, agent: false }, (res) => {
          let text = ''
          res.on('data', (c) => (text += c))
          res.on('end', () => resolve(res.statusCode === 200 ? `200 ${JSON.parse(text).bytes}` : String(res.statusCode)))
        })
        req.on('error', (err) => resolve(`error ${err.message}`))
        req.end(body)
      }),
  },
  {
    id: 'download-1mb',
    title: 'a 1 MiB answer reaches the client whole',
    run: (t) =>
      new Promise((resolve) => {
        http.get({ host: '127.0.0.1', port: t.plan.httpPort, path: '/big', headers: { host: hostHeader(t) }, agent: false }, (res) => {
          let bytes = 0
          res.on('data', (c: Buffer) => (bytes += c.length))
          res.on('end', () => resolve(`${res.statusCode} ${bytes === BIG_BYTES ? 'whole' : `${bytes} bytes`}`))
          res.on('error', () => resolve(`cut at ${bytes}`))
        }).on('error', (err) => resolve(`error ${err.message}`))
      }),
  },
  {
    id: 'websocket',
    title: 'a WebSocket echoes through the proxy',
    run: (t) => wsRoundTrip(`ws://127.0.0.1:${t.plan.httpPort}/ws`, 'ping', { headers: { host: hostHeader(t) } }).catch((err: Error) => `error ${err.message}`),
  },
  {
    id: 'http2',
    title: 'HTTPS answers over HTTP/2 (ALPN h2)',
    run: (t) =>
      new Promise((resolve) => {
        const session = http2.connect(`https://127.0.0.1:${t.plan.httpsPort}`, { ca: t.ca, servername: HOST })
        session.on('error', (err) => resolve(`error ${err.message}`))
        const stream = session.request({ ':path': '/h2', ':authority': `${HOST}:${t.plan.httpsPort}` })
        stream.on('response', (h) => {
          resolve(`${h[':status']} ${session.alpnProtocol}`)
          session.close()
        })
        stream.on('error', (err) => resolve(`error ${err.message}`))
        stream.resume()
      }),
  },
]
