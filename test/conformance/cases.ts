import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import { raw } from '../support/raw-client.js'
import { wsRoundTrip } from '../support/ws-round-trip.js'
import { BIG_BYTES, BODY_LIMIT, HOST, OTHER_HOST, RATE_LIMIT, type InstanceControl } from './fixture.js'

/**
 * Where a case sends its requests: one engine serving the fixture. Plain HTTP redirects to HTTPS
 * (the fixture asks for it, and every export does it), so the cases ask over HTTPS.
 */
export interface CaseTarget {
  scheme: 'http' | 'https'
  /** The port of that scheme. */
  port: number
  /** The plain-HTTP port, which redirects. */
  httpPort: number
  httpsPort: number
  ca: string
  /** The two instances behind this target, to take down and bring back. */
  instances: InstanceControl
}

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One request over the target's scheme, with the Host a browser would send; resolves what came back (an error as status 0). */
function request(t: CaseTarget, path: string, headers: Record<string, string | number> = {}, body?: Buffer, method = body ? 'POST' : 'GET'): Promise<Answer> {
  return new Promise((resolve) => {
    const host = String(headers.host ?? hostHeader(t))
    // The TLS name is the Host's, as a browser sends it (a server may refuse a Host that differs from SNI).
    const options = { host: '127.0.0.1', port: t.port, path, method, headers: { host: hostHeader(t), ...headers }, agent: false, servername: host.replace(/:\d+$/, ''), ca: t.ca }
    const req = (t.scheme === 'https' ? https : http).request(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: `cut at ${Buffer.concat(chunks).length}` }))
    })
    req.on('error', (err) => resolve({ status: 0, headers: {}, body: err.message }))
    req.end(body)
  })
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

const hostHeader = (t: CaseTarget) => `${HOST}:${t.port}`

/** A POST of `bytes` in 64 KiB chunks without Content-Length (HTTP/1.1 chunked). */
function chunked(t: CaseTarget, path: string, bytes: number): Promise<Answer> {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port: t.port, path, method: 'POST', headers: { host: hostHeader(t), 'transfer-encoding': 'chunked' }, agent: false, servername: HOST, ca: t.ca }
    const req = (t.scheme === 'https' ? https : http).request(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }))
    })
    req.on('error', (err) => resolve({ status: 0, headers: {}, body: err.message }))
    const chunk = Buffer.alloc(64 * 1024, 99)
    let sent = 0
    const write = () => {
      while (sent < bytes) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', write)
      }
      req.end()
    }
    write()
  })
}
const ws = (t: CaseTarget, message: string, headers: Record<string, string> = {}, path = '/ws') =>
  wsRoundTrip(`${t.scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${t.port}${path}`, message, { headers: { host: hostHeader(t), ...headers }, servername: HOST, ca: t.ca }).catch((err: Error) => `error ${err.message}`)
export const get = (t: CaseTarget, path: string, headers: Record<string, string> = {}) => request(t, path, headers)
const seen = async (t: CaseTarget, path: string, headers: Record<string, string> = {}) => {
  const res = await get(t, path, headers)
  return { status: res.status, body: res.status === 200 && res.headers['content-type'] === 'application/json' ? JSON.parse(res.body) : undefined, res }
}

export const CASES: ConformanceCase[] = [
  {
    id: 'host-and-forwarded',
    title: 'the app sees the client\'s Host, X-Forwarded-Proto and the client in X-Forwarded-For',
    async run(t) {
      const { status, body } = await seen(t, '/hello')
      return `${status} host=${body?.headers.host === hostHeader(t)} proto-as-sent=${body?.headers['x-forwarded-proto'] === t.scheme} for=${String(body?.headers['x-forwarded-for']).endsWith('127.0.0.1')}`
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
      return value.includes('evil.example') ? `passed on: ${value.replace(String(t.port), 'PORT')}` : 'replaced or dropped'
    },
  },
  {
    id: 'traceparent',
    title: 'the app gets a W3C traceparent, and a client\'s trace id is kept',
    async run(t) {
      const valid = (v: unknown) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(String(v))
      const fresh = (await seen(t, '/trace')).body?.headers.traceparent
      const sent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
      const kept = String((await seen(t, '/trace', { traceparent: sent })).body?.headers.traceparent).split('-')[1] === sent.split('-')[1]
      return `${valid(fresh) ? 'added' : 'none'}, client trace ${kept ? 'kept' : 'lost'}`
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
    id: 'strip-prefix',
    title: 'a stripPrefix route: the app gets the path without the prefix (query kept) and X-Forwarded-Prefix; a longer name is not the prefix',
    async run(t) {
      const [sub, bare, longer] = [await seen(t, '/mounted/a/b?q=1'), await seen(t, '/mounted'), await seen(t, '/mountedx')]
      return `${sub.status} ${sub.body?.url} ${sub.body?.headers['x-forwarded-prefix']} | ${bare.status} ${bare.body?.url} | ${longer.status} ${longer.body?.url} ${longer.body?.headers['x-forwarded-prefix'] ?? 'none'}`
    },
  },
  {
    id: 'client-forwarded-prefix',
    title: 'a client-sent X-Forwarded-Prefix never reaches the app (it would move the links ASP.NET Core makes)',
    async run(t) {
      const [plain, mounted] = [await seen(t, '/hello', { 'x-forwarded-prefix': '/evil' }), await seen(t, '/mounted/x', { 'x-forwarded-prefix': '/evil' })]
      return `${plain.body?.headers['x-forwarded-prefix'] ?? 'none'} ${mounted.body?.headers['x-forwarded-prefix']}`
    },
  },
  {
    id: 'hsts',
    title: 'Strict-Transport-Security on HTTPS answers, proxied and static, and not on plain HTTP',
    async run(t) {
      const [proxied, file] = [await get(t, '/hello'), await get(t, '/static/hello.txt')]
      const plain = await request({ ...t, scheme: 'http', port: t.httpPort }, '/hello')
      return `${proxied.headers['strict-transport-security']} | ${file.headers['strict-transport-security']} | http ${plain.headers['strict-transport-security'] ?? 'none'}`
    },
  },
  {
    id: 'header-rules',
    title: "the stack's header rules, and a route's on top: request headers set and removed, response headers set and removed",
    async run(t) {
      const spoof = { 'x-debug': '1', 'x-env': 'spoofed' }
      const [root, mounted, file] = [await seen(t, '/hello', spoof), await seen(t, '/mounted/x', spoof), await get(t, '/static/hello.txt')]
      const app = (s: typeof root) => `env=${s.body?.headers['x-env']} debug=${s.body?.headers['x-debug'] ?? 'none'}`
      const client = (h: http.IncomingHttpHeaders) => `frame=${h['x-frame-options'] ?? 'none'} powered=${h['x-powered-by'] ?? 'none'}`
      return `${app(root)} ${client(root.res.headers)} | ${app(mounted)} ${client(mounted.res.headers)} | static ${client(file.headers)}`
    },
  },
  {
    id: 'route-hosts',
    title: 'a route limited to one of the stack\'s host names serves that name only; a route for all names serves it too',
    async run(t) {
      const other = { host: `${OTHER_HOST}:${t.port}` }
      const [file, mainName, api] = [await get(t, '/hello.txt', other), await seen(t, '/hello.txt'), await seen(t, '/api/x', other)]
      return `${OTHER_HOST} ${file.status} ${file.body.trim()} | ${HOST} ${mainName.status} ${mainName.body?.url} | ${OTHER_HOST} /api ${api.status} ${api.body?.url}`
    },
  },
  {
    id: 'rate-limit',
    title: 'a client over proxy.rateLimit (50/s, burst 100) gets 429 with Retry-After; the burst passes first',
    async run(t) {
      // Another client address, so that the other cases keep their own budget; keep-alive, so that the burst is fast.
      const agent = new (t.scheme === 'https' ? https : http).Agent({ keepAlive: true, maxSockets: 8, localAddress: '127.0.0.2' } as https.AgentOptions)
      const statuses: number[] = []
      let retryAfter: string | undefined
      const one = () =>
        new Promise<void>((resolve) => {
          const req = (t.scheme === 'https' ? https : http).request({ host: '127.0.0.1', port: t.port, path: '/hello', headers: { host: hostHeader(t) }, agent, servername: HOST, ca: t.ca }, (res) => {
            statuses.push(res.statusCode ?? 0)
            if (res.statusCode === 429) retryAfter ??= String(res.headers['retry-after'])
            res.resume().on('end', resolve)
          })
          req.on('error', () => (statuses.push(0), resolve()))
          req.end()
        })
      await Promise.all(Array.from({ length: 400 }, one))
      agent.destroy()
      const ok = statuses.filter((s) => s === 200).length
      return `429s=${statuses.includes(429)} burst-passed=${ok >= RATE_LIMIT.burst + 1} all-passed=${ok === 400} retry-after=${retryAfter ?? 'none'} other=${statuses.filter((s) => s !== 200 && s !== 429).length}`
    },
  },
  {
    id: 'rewrites',
    title: 'rewrites before routing: an internal one (the app sees the new path, the query kept), a redirect with groups, the first match only',
    async run(t) {
      const [inside, moved] = [await seen(t, '/old/x/y?q=1'), await get(t, '/moved/abc/42?z=2')]
      // The Location as a browser resolves it (Apache makes it absolute).
      const location = moved.headers.location && new URL(moved.headers.location, `https://${HOST}:${t.port}`)
      return `${inside.status} ${inside.body?.url} | ${moved.status} ${location ? location.pathname + location.search : 'none'}`
    },
  },
  {
    id: 'cache',
    title: 'proxy.cache: a fresh answer is served again from the cache (with Cache-Status); private, Set-Cookie, Authorization and a client no-cache are not; Vary is kept apart',
    async run(t) {
      const nonce = Math.random().toString(36).slice(2)
      const twice = async (kind: string, headers: Record<string, string> = {}, second: Record<string, string> = headers) => {
        const a = await seen(t, `/cache/${kind}?${nonce}`, headers)
        const b = await seen(t, `/cache/${kind}?${nonce}`, second)
        return { hit: a.body?.n !== undefined && a.body?.n === b.body?.n, status: b.res.headers['cache-status'] }
      }
      const fresh = await twice('fresh')
      const [priv, cookie] = [await twice('private'), await twice('cookie')]
      const auth = await twice('auth', { authorization: 'Bearer x' })
      const noCache = await twice('nocache', {}, { 'cache-control': 'no-cache' })
      const en = await seen(t, `/cache/vary?${nonce}`, { 'accept-language': 'en' })
      const de = await seen(t, `/cache/vary?${nonce}`, { 'accept-language': 'de' })
      const enAgain = await seen(t, `/cache/vary?${nonce}`, { 'accept-language': 'en' })
      const vary = `${enAgain.body?.n === en.body?.n && enAgain.body?.language === 'en'}/${de.body?.n !== en.body?.n && de.body?.language === 'de'}`
      return `fresh=${fresh.hit} status-on-hit=${Boolean(fresh.status)} private=${priv.hit} cookie=${cookie.hit} authorization=${auth.hit} client-no-cache=${noCache.hit} vary=${vary}`
    },
  },
  {
    id: 'load-balancing',
    title: 'clients without a session cookie are spread over both instances',
    async run(t) {
      const ids = new Set<string>()
      for (let i = 0; i < 16; i++) ids.add((await seen(t, `/lb/${i}`)).body?.id)
      return [...ids].sort().join(' ')
    },
  },
  {
    id: 'sticky',
    title: 'sticky sessions: the cookie from the first answer keeps requests and a WebSocket on one instance',
    async run(t) {
      const first = await seen(t, '/session')
      const cookie = ([] as string[]).concat(first.res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ')
      if (!cookie) return 'no cookie'
      const ids = new Set<string>([first.body?.id])
      for (let i = 0; i < 6; i++) ids.add((await seen(t, `/session/${i}`, { cookie })).body?.id)
      for (let i = 0; i < 3; i++) ids.add((await ws(t, 'hi', { cookie })).replace(/^echo hi from /, '').replace(/ at .*$/, ''))
      return ids.size === 1 ? 'one instance' : `${ids.size} instances: ${[...ids].sort().join(' ')}`
    },
  },
  {
    id: 'static-file',
    title: 'a static file with its Content-Type',
    async run(t) {
      const res = await get(t, '/static/hello.txt')
      return `${res.status} ${String(res.headers['content-type']).replace(/;\s*/, '; ')} ${res.body.trim()}`
    },
  },
  {
    id: 'static-conditional',
    title: 'a static file answers If-None-Match with 304',
    async run(t) {
      const first = await get(t, '/static/hello.txt')
      const etag = String(first.headers.etag ?? '')
      return etag ? String((await get(t, '/static/hello.txt', { 'if-none-match': etag })).status) : 'no ETag'
    },
  },
  {
    id: 'static-range',
    title: 'a static file answers a byte range',
    async run(t) {
      const res = await get(t, '/static/hello.txt', { range: 'bytes=0-4' })
      return `${res.status} ${res.body}`
    },
  },
  {
    id: 'static-dotfile',
    title: 'a dotfile in a static folder is not served',
    async run(t) {
      const res = await get(t, '/static/.env')
      return res.body.includes('SECRET') ? `served (${res.status})` : 'not served'
    },
  },
  {
    id: 'static-symlink-out',
    title: 'a symbolic link out of a static folder is not followed',
    async run(t) {
      const res = await get(t, '/static/escape.txt')
      return res.body.includes('outside the folder') ? `followed (${res.status})` : 'not followed'
    },
  },
  {
    id: 'path-traversal',
    title: '/static/../ and its encodings do not leave the folder',
    async run(t) {
      for (const p of ['/static/../outside.txt', '/static/%2e%2e/outside.txt', '/static/..%2foutside.txt']) {
        const out = await raw(t.port, `GET ${p} HTTP/1.1\r\nHost: ${hostHeader(t)}\r\nConnection: close\r\n\r\n`, t.scheme === 'https' ? { tls: { servername: HOST, ca: t.ca } } : {})
        if (out.includes('outside the folder')) return `escaped with ${p}`
      }
      return 'contained'
    },
  },
  {
    id: 'hostile-folder-name',
    title: 'a static folder named with spaces, quotes, braces, ; and # is served, and its name changes no config',
    async run(t) {
      const file = await get(t, '/odd/file.txt')
      const pwned = await get(t, '/pwned')
      return `${file.status} injected=${pwned.body.includes('injected')}`
    },
  },
  {
    id: 'upload-10mb',
    title: 'a 10 MB upload reaches the app whole',
    async run(t) {
      const res = await request(t, '/upload', {}, Buffer.alloc(10 * 1024 * 1024, 98))
      return res.status === 200 ? `200 ${JSON.parse(res.body).bytes}` : `${res.status}`
    },
  },
  {
    id: 'body-over-limit',
    title: 'a body larger than proxy.maxBodySize, with Content-Length, gets 413 and never reaches the app',
    async run(t) {
      const path = `/too-big-${Math.random().toString(36).slice(2)}`
      const res = await request(t, path, {}, Buffer.alloc(BODY_LIMIT + 500_000, 98))
      const after = await seen(t, '/count')
      return `${res.status}${res.status ? "" : ` ${res.body}`} reached-app=${(after.body?.seen ?? []).includes(path) || after.status !== 200}`
    },
  },
  {
    id: 'chunked-over-limit',
    title: 'a chunked body that grows past proxy.maxBodySize gets 413, and the app never sees a whole request',
    async run(t) {
      const path = `/too-big-chunked-${Math.random().toString(36).slice(2)}`
      const res = await chunked(t, path, BODY_LIMIT + 500_000)
      const after = await seen(t, '/count')
      return `${res.status}${res.status ? "" : ` ${res.body}`} reached-app=${(after.body?.seen ?? []).includes(path) || after.status !== 200}`
    },
  },
  {
    id: 'download-1mb',
    title: 'a 1 MiB answer reaches the client whole',
    async run(t) {
      const res = await request(t, '/big')
      return `${res.status} ${res.body.length === BIG_BYTES ? 'whole' : `${res.body.length} bytes`}`
    },
  },
  {
    id: 'websocket',
    title: 'a WebSocket echoes through the proxy',
    run: async (t) => (await ws(t, 'ping')).replace(/ from .*$/, ''),
  },
  {
    id: 'websocket-rewrite',
    title: 'a WebSocket upgrade is rewritten like any request (the app sees the new path)',
    run: async (t) => (await ws(t, 'ping', {}, '/old/sock?x=1')).replace(/ from \S+/, ''),
  },
  {
    id: 'http2',
    title: 'HTTPS answers over HTTP/2 (ALPN h2)',
    run: (t) =>
      new Promise((resolve) => {
        const session = http2.connect(`https://127.0.0.1:${t.httpsPort}`, { ca: t.ca, servername: HOST })
        session.on('error', (err) => resolve(`error ${err.message}`))
        const stream = session.request({ ':path': '/h2', ':authority': `${HOST}:${t.httpsPort}` })
        stream.on('response', (h) => {
          resolve(`${h[':status']} ${session.alpnProtocol}`)
          session.close()
        })
        stream.on('error', (err) => resolve(`error ${err.message}`))
        stream.resume()
      }),
  },
  {
    id: 'redirect-to-https',
    title: 'plain HTTP redirects to the same path over HTTPS',
    async run(t) {
      const res = await request({ ...t, scheme: 'http', port: t.httpPort }, '/some/path?q=1')
      const location = String(res.headers.location)
      const same = location === `https://${HOST}:${t.httpsPort}/some/path?q=1` || location === `https://${HOST}/some/path?q=1`
      return `${[301, 302, 307, 308].includes(res.status) ? 'redirect' : res.status} ${same ? 'to the same path over HTTPS' : `to ${location}`}`
    },
  },
  {
    id: 'compression',
    title: 'a 7.6 KB text answer is compressed for a client that accepts gzip, with Vary: Accept-Encoding',
    async run(t) {
      const res = await request(t, '/text', { 'accept-encoding': 'gzip' })
      return `${res.status} ${res.headers['content-encoding'] ?? 'identity'} vary=${/accept-encoding/i.test(String(res.headers.vary))}`
    },
  },
  {
    id: 'server-header',
    title: 'the Server header names no version',
    async run(t) {
      const server = (await get(t, '/server')).headers.server
      return /\d/.test(String(server ?? '')) ? `with a version: ${server}` : 'no version'
    },
  },
  {
    id: 'one-instance-down',
    title: 'with one instance down, GET requests still succeed (retried on the other)',
    async run(t) {
      await t.instances.stop(1)
      try {
        const statuses = []
        for (let i = 0; i < 6; i++) statuses.push((await get(t, `/down/${i}`)).status)
        // Counted, not listed: which instance a round-robin starts on is not part of the answer.
        const counts = new Map<number, number>()
        for (const status of statuses.sort()) counts.set(status, (counts.get(status) ?? 0) + 1)
        return [...counts].map(([status, n]) => `${n} × ${status}`).join(', ')
      } finally {
        await t.instances.start(1)
      }
    },
  },
  {
    id: 'all-instances-down',
    title: 'with every instance down, the answer is an error status',
    async run(t) {
      await t.instances.stop(0)
      await t.instances.stop(1)
      try {
        return String((await get(t, '/gone')).status)
      } finally {
        await t.instances.start(0)
        await t.instances.start(1)
      }
    },
  },
]
