import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { WebSocketServer } from 'ws'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { routeHeaderEffects } from '../../src-main/core/proxy/header-rules.js'
import type { ProxyPlan } from '../../src-main/core/proxy/proxy-driver.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { StackSchema, type Stack } from '../../src-main/core/stacks/stack-schema.js'
import { defaultSettings, startUpstream, type TestUpstream } from '../support/upstreams.js'

/** A folder name that would change a config's structure if a renderer wrote it unquoted (a regex location answering /pwned). */
export const HOSTILE_DIR_NAME = `odd dir; } location ~ pwned { return 200 "injected"; } # 'q'`
export const HOST = 'app.localhost'
/** A second host name of the stack, with a route of its own (static files at its root). */
export const OTHER_HOST = 'other.localhost'
export const BIG_BYTES = 1024 * 1024
/** The fixture's `proxy.maxBodySize`: above the 10 MiB upload case, below the over-limit ones. */
export const BODY_LIMIT = 12_000_000
/** Loose enough for every other case (all from 127.0.0.1); the rate-limit case sends a fast burst from 127.0.0.2. */
export const RATE_LIMIT = { requestsPerSecond: 50, burst: 100 }
export const CACHE = { maxSizeMb: 16 }
/** An internal rewrite, a redirect, and a rule the first one shadows (the first that matches applies). */
export const REWRITES = [
  { match: '^/old/(.*)$', to: '/api/$1' },
  { match: '^/moved/([a-z]+)/(\\d+)$', to: '/new/$2/$1', redirect: 308 as const },
  { match: '^/old/.*$', to: '/never' },
]

/** What every engine serves in the conformance suite: two instances, two routes to them, two static folders. */
export interface Fixture {
  ca: LocalCA
  leaf: { certPem: string; keyPem: string }
  plan: (workDir: string) => Promise<ProxyPlan>
  /** The same stack as a stack file would say it, for the production exports. */
  stack: Stack
  /** The folder the exports take as appDirectory (its static/ holds the static folders). */
  appDirectory: string
  /** Two more instances on consecutive ports from `basePort`, where an export expects them; their control. */
  startProductionInstances(basePort: number): Promise<InstanceControl>
  /** Stops and restarts the instances the engines Aerie runs send to. */
  local: InstanceControl
  close(): Promise<void>
}

/** Stops an instance (its port refuses connections) and starts it again on the same port. */
export interface InstanceControl {
  stop(index: number): Promise<void>
  start(index: number): Promise<void>
}

function control(list: TestUpstream[], make: (id: string, port: number) => Promise<TestUpstream>): InstanceControl {
  return {
    stop: async (i) => list[i].close(),
    start: async (i) => {
      list[i] = await make(list[i].upstream.id, list[i].upstream.port)
    },
  }
}

/** Every request (path) an instance has read to its end, across all instances: `/count` answers it. */
const completed: string[] = []

/** How many times the app answered each URL under /cache/: a cache hit does not count. */
const answered = new Map<string, number>()

/** Answers a shared cache may store (fresh, vary) or must not (private, cookie), each with its count. */
function cacheable(req: http.IncomingMessage, res: http.ServerResponse): void {
  const n = (answered.get(req.url!) ?? 0) + 1
  answered.set(req.url!, n)
  const kind = req.url!.slice('/cache/'.length).split('?')[0]
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'cache-control': kind === 'private' ? 'private, max-age=60' : 'max-age=60' }
  if (kind === 'cookie') headers['set-cookie'] = 'session=1; Path=/'
  if (kind === 'vary') headers.vary = 'Accept-Language'
  res.writeHead(200, headers).end(JSON.stringify({ n, language: req.headers['accept-language'] ?? null }))
}

/** The app both instances run: echoes what it saw, counts an upload, serves 1 MiB, echoes WebSocket messages. */
async function instance(id: string, port = 0): Promise<TestUpstream> {
  const big = Buffer.alloc(BIG_BYTES, 97)
  const text = Buffer.from('compressible text, '.repeat(400))
  const up = await startUpstream(id, (req, res) => {
    if (req.url === '/big') return res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length }).end(big)
    if (req.url === '/text') return res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': text.length }).end(text)
    if (req.url?.startsWith('/cache/')) return cacheable(req, res)
    if (req.url === '/count') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, seen: completed }))
    let bytes = 0
    req.on('data', (c: Buffer) => (bytes += c.length))
    req.on('end', () => {
      completed.push(req.url ?? '')
      res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'fixture' })
      res.end(JSON.stringify({ id, url: req.url, headers: req.headers, bytes }))
    })
  }, port)
  new WebSocketServer({ server: up.server }).on('connection', (s, req) => s.on('message', (m) => s.send(`echo ${m} from ${id} at ${req.url}`)))
  return up
}

export async function startFixture(dir: string): Promise<Fixture> {
  const ca = await LocalCA.create(path.join(dir, 'ca'))
  const leaf = await ca.issueLeaf([HOST, OTHER_HOST, 'localhost', '127.0.0.1'])
  /** Every instance ever started, to close at the end. */
  const created: TestUpstream[] = []
  const make = async (id: string, port = 0) => {
    const u = await instance(id, port)
    created.push(u)
    return u
  }
  const local = [await make('web#1'), await make('web#2')]
  // Under <dir>/app/static/, where the production export expects an app's static folders (appDirectory = <dir>/app).
  const www = path.join(dir, 'app', 'static', 'www')
  fs.mkdirSync(path.join(www, '.git'), { recursive: true })
  fs.writeFileSync(path.join(www, 'hello.txt'), 'hello, static world\n')
  fs.writeFileSync(path.join(www, '.env'), 'SECRET=1')
  fs.writeFileSync(path.join(dir, 'outside.txt'), 'outside the folder')
  fs.symlinkSync(path.join(dir, 'outside.txt'), path.join(www, 'escape.txt'))
  const hostile = path.join(dir, 'app', 'static', HOSTILE_DIR_NAME)
  fs.mkdirSync(hostile, { recursive: true })
  fs.writeFileSync(path.join(hostile, 'file.txt'), 'from the oddly named folder\n')
  // Workers of a proxy started as root may run as another user: they must be able to read the folders.
  for (const d of [dir, path.join(dir, 'app'), path.join(dir, 'app', 'static'), www, hostile]) fs.chmodSync(d, 0o755)
  for (const f of [path.join(www, 'hello.txt'), path.join(hostile, 'file.txt'), path.join(www, '.env'), path.join(dir, 'outside.txt')]) fs.chmodSync(f, 0o644)
  const stack = StackSchema.parse({
    id: 'conformance',
    name: 'Conformance',
    hostnames: [HOST, OTHER_HOST],
    appServers: [{ name: 'web', command: 'node', args: ['app.js'], instances: 2 }],
    routes: [{ pathPrefix: '/api', appServer: 'web' }, { pathPrefix: '/mounted', appServer: 'web', stripPrefix: true, headers: { request: { set: { 'X-Env': 'mounted' } }, response: { remove: ['X-Frame-Options'] } } }, { pathPrefix: '/static', staticDir: www }, { pathPrefix: '/odd', staticDir: hostile }, { hosts: [OTHER_HOST], staticDir: www }, { appServer: 'web' }],
    rewrites: REWRITES,
    headers: { request: { set: { 'X-Env': 'local' }, remove: ['X-Debug'] }, response: { set: { 'X-Frame-Options': 'DENY' }, remove: ['X-Powered-By'] } },
    proxy: { httpPort: 8080, httpsPort: 8443, redirectToHttps: true, compression: true, loadBalancing: 'sticky', maxBodySize: BODY_LIMIT, hsts: { maxAgeSeconds: 600, includeSubDomains: true }, rateLimit: RATE_LIMIT, cache: CACHE },
  })
  const effectsOf = (prefix: string, host?: string) => routeHeaderEffects(stack.headers, stack.routes.find((r) => r.pathPrefix === prefix && r.hosts?.[0] === host)!.headers)
  return {
    ca,
    leaf,
    stack,
    appDirectory: path.join(dir, 'app'),
    local: control(local, make),
    startProductionInstances: async (basePort) => control([await make('web#1', basePort), await make('web#2', basePort + 1)], make),
    plan: async (workDir) => ({
      stackId: 'conformance',
      listenHost: '127.0.0.1',
      httpPort: await findFreePort(),
      httpsPort: await findFreePort(),
      tls: { certPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
      hostnames: [HOST, OTHER_HOST],
      routes: [
        { pathPrefix: '/', hosts: [OTHER_HOST], staticDir: www, upstreams: [], headers: effectsOf('/', OTHER_HOST) },
        { pathPrefix: '/', appServer: 'web', upstreams: local.map((u) => u.upstream), headers: effectsOf('/') },
        { pathPrefix: '/api', appServer: 'web', upstreams: local.map((u) => u.upstream), headers: effectsOf('/api') },
        { pathPrefix: '/mounted', appServer: 'web', stripPrefix: true, upstreams: local.map((u) => u.upstream), headers: effectsOf('/mounted') },
        { pathPrefix: '/static', staticDir: www, upstreams: [], headers: effectsOf('/static') },
        { pathPrefix: '/odd', staticDir: hostile, upstreams: [], headers: effectsOf('/odd') },
      ],
      settings: defaultSettings({ compression: true, loadBalancing: 'sticky', redirectToHttps: true, maxBodySize: BODY_LIMIT, hsts: { maxAgeSeconds: 600, includeSubDomains: true }, rateLimit: RATE_LIMIT, rewrites: REWRITES, cache: CACHE }),
      workDir,
      adminPort: await findFreePort(),
    }),
    close: async () => {
      for (const u of created) await u.close().catch(() => undefined)
    },
  }
}
