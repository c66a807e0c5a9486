import type { StackInput } from '../../../src-main/contract'

/** The stack editor's form: text where users type lists, converted to a stack on every change. */
export interface AppServerDraft {
  /** The app server's name in the stack this form was opened from: its fields the form does not show are kept by it. */
  origin?: string
  name: string
  kind: 'command' | 'dotnet'
  command: string
  project: string
  /** One entry per argument, byte for byte (args-line.ts shows and reads them as a quoted line). */
  args: string[]
  cwd: string
  env: string
  instances: number | null
  autoPorts: boolean
  ports: string
  readinessKind: 'tcp' | 'http'
  readinessPath: string
  restart: 'never' | 'on-failure' | 'always'
}

export interface RouteDraft {
  pathPrefix: string
  /** Forward without the prefix, with X-Forwarded-Prefix (app routes only). */
  stripPrefix: boolean
  /** Some of the stack's host names, comma-separated; empty: all of them. */
  hosts: string
  target: 'app' | 'static'
  appServer: string
  staticDir: string
}

export interface StackDraft {
  id: string
  name: string
  hostnames: string
  kind: 'builtin' | 'nginx' | 'apache' | 'caddy'
  /** Null: the number field is empty. */
  httpPort: number | null
  httpsPort: number | null
  redirectToHttps: boolean
  loadBalancing: 'round-robin' | 'least-connections' | 'sticky'
  /** Empty: no active health checks. */
  healthPath: string
  healthIntervalMs: number | null
  compression: boolean
  /** Bytes; 0: no limit; null: the default (Kestrel's 30000000). */
  maxBodySize: number | null
  /** Null: no Strict-Transport-Security. */
  hstsMaxAge: number | null
  hstsIncludeSubDomains: boolean
  /** Null: no response cache. */
  cacheMb: number | null
  /** Bytes of each body recorded in traces; 0: none. */
  traceBodies: number
  /** Null: no rate limit. */
  ratePerSecond: number | null
  rateBurst: number | null
  /** URL rewrites in order; redirect 0: internal. */
  rewrites: { match: string; to: string; redirect: 0 | 301 | 302 | 303 | 307 | 308 }[]
  /** The stack's header rules: `Name: value` lines to set, names to remove (a route's own are kept as they are). */
  requestSet: string
  requestRemove: string
  responseSet: string
  responseRemove: string
  appServers: AppServerDraft[]
  routes: RouteDraft[]
}

const words = (s: string) => s.split(/[\s,]+/).filter(Boolean)

export function emptyAppServer(name = 'web'): AppServerDraft {
  return { name, kind: 'command', command: '', project: '', args: [], cwd: '', env: '', instances: 1, autoPorts: true, ports: '', readinessKind: 'tcp', readinessPath: '/', restart: 'on-failure' }
}

export function emptyDraft(): StackDraft {
  return { id: '', name: '', hostnames: '', kind: 'builtin', httpPort: 8081, httpsPort: null, redirectToHttps: false, loadBalancing: 'round-robin', healthPath: '', healthIntervalMs: 5000, compression: true, maxBodySize: null, hstsMaxAge: null, hstsIncludeSubDomains: false, cacheMb: null, traceBodies: 0, ratePerSecond: null, rateBurst: null, rewrites: [], requestSet: '', requestRemove: '', responseSet: '', responseRemove: '', appServers: [emptyAppServer()], routes: [{ pathPrefix: '/', stripPrefix: false, hosts: '', target: 'app', appServer: 'web', staticDir: '' }] }
}

/** A kebab-case id from a name: "My Shop" → "my-shop". */
export function idFromName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
}

/** A value that a `KEY=value` line cannot hold as it is (a line break, or a leading quote) is written as a JSON string. */
const needsJson = (value: string) => /[\r\n]/.test(value) || value.startsWith('"')

/** The environment as `KEY=value` lines; `parseEnv(formatEnv(env))` gives `env` back exactly. */
export function formatEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${needsJson(v) ? JSON.stringify(v) : v}`)
    .join('\n')
}

/** `KEY=value` lines; the value is everything after the first `=`, spaces included. */
export function parseEnv(text: string): Record<string, string> {
  return parseLines(text, '=', (value) => (value.startsWith('"') ? jsonString(value) : value))
}

/**
 * `key<separator>value` lines (a Windows line end dropped, blank lines skipped) as a record: the key
 * trimmed, the value as `value` makes it of everything after the first separator; a line without
 * one is a key with an empty value.
 */
function parseLines(text: string, separator: string, value: (raw: string) => string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (!line.trim()) continue
    const at = line.indexOf(separator)
    if (at === -1) out[line.trim()] = ''
    else out[line.slice(0, at).trim()] = value(line.slice(at + 1))
  }
  return out
}

function jsonString(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'string' ? parsed : text
  } catch {
    return text
  }
}

/** Header rules to set as `Name: value` lines (the one space after the colon is the separator's). */
export function formatHeaderLines(set: Record<string, string>): string {
  return Object.entries(set)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')
}

export function parseHeaderLines(text: string): Record<string, string> {
  return parseLines(text, ':', (value) => value.replace(/^ /, ''))
}

/** The stack the form describes; the contract's schema validates it (and names the fields at fault). */
export function draftToStack(d: StackDraft, base?: StackInput): StackInput {
  const num = (v: number | null) => v ?? undefined
  return {
    ...(base ?? {}),
    id: d.id,
    name: d.name,
    hostnames: words(d.hostnames),
    appServers: d.appServers.map((a) => {
      const was = base?.appServers?.find((b) => b.name === (a.origin ?? a.name))
      return {
      ...(was ?? {}),
      name: a.name,
      kind: a.kind,
      // Both are kept whatever the kind: switching kind and back loses neither.
      command: a.command,
      project: a.project === '' ? undefined : a.project,
      args: [...a.args],
      ...(a.cwd ? { cwd: a.cwd } : { cwd: undefined }),
      env: parseEnv(a.env),
      instances: Number(a.instances),
      ports: a.autoPorts ? 'auto' : words(a.ports).map(Number),
      // What the form does not show (the expected status, the timeout) is kept.
      readiness: { expectStatus: 200, timeoutMs: a.kind === 'dotnet' ? 120_000 : 30_000, ...(was?.readiness ?? {}), kind: a.readinessKind, path: a.readinessPath || '/' },
      restart: a.restart,
      }
    }),
    rewrites: d.rewrites.map((r) => ({ match: r.match, to: r.to, ...(r.redirect ? { redirect: r.redirect } : {}) })),
    headers: {
      request: { set: parseHeaderLines(d.requestSet), remove: words(d.requestRemove) },
      response: { set: parseHeaderLines(d.responseSet), remove: words(d.responseRemove) },
    },
    routes: d.routes.map((r, i) => {
      const { appServer: _app, staticDir: _dir, ...kept } = base?.routes?.[i] ?? {}
      const hosts = words(r.hosts).length ? words(r.hosts) : undefined
      return r.target === 'app' ? { ...kept, pathPrefix: r.pathPrefix, hosts, appServer: r.appServer, stripPrefix: r.stripPrefix } : { ...kept, pathPrefix: r.pathPrefix, hosts, staticDir: r.staticDir, stripPrefix: false }
    }),
    proxy: {
      ...(base?.proxy ?? {}),
      kind: d.kind,
      httpPort: num(d.httpPort) as number,
      httpsPort: num(d.httpsPort),
      redirectToHttps: d.redirectToHttps,
      loadBalancing: d.loadBalancing,
      healthCheck: d.healthPath ? { path: d.healthPath, intervalMs: Number(d.healthIntervalMs) } : undefined,
      compression: d.compression,
      maxBodySize: num(d.maxBodySize),
      cache: d.cacheMb === null ? undefined : { maxSizeMb: Number(d.cacheMb) },
      rateLimit: d.ratePerSecond === null ? undefined : { requestsPerSecond: Number(d.ratePerSecond), burst: Number(d.rateBurst ?? 0) },
      hsts: d.hstsMaxAge === null ? undefined : { maxAgeSeconds: Number(d.hstsMaxAge), includeSubDomains: d.hstsIncludeSubDomains },
      // 0 stays unwritten unless the stack said it.
      traceBodies: d.traceBodies || base?.proxy?.traceBodies !== undefined ? Number(d.traceBodies ?? 0) : undefined,
    },
  }
}

/** The form for an existing stack. */
export function stackToDraft(s: StackInput): StackDraft {
  return {
    id: s.id,
    name: s.name,
    hostnames: s.hostnames.join(', '),
    kind: s.proxy.kind ?? 'builtin',
    httpPort: s.proxy.httpPort,
    httpsPort: s.proxy.httpsPort ?? null,
    redirectToHttps: s.proxy.redirectToHttps ?? false,
    loadBalancing: s.proxy.loadBalancing ?? 'round-robin',
    healthPath: s.proxy.healthCheck?.path ?? '',
    healthIntervalMs: s.proxy.healthCheck?.intervalMs ?? 5000,
    compression: s.proxy.compression ?? true,
    maxBodySize: s.proxy.maxBodySize ?? null,
    hstsMaxAge: s.proxy.hsts?.maxAgeSeconds ?? null,
    hstsIncludeSubDomains: s.proxy.hsts?.includeSubDomains ?? false,
    cacheMb: s.proxy.cache?.maxSizeMb ?? null,
    traceBodies: s.proxy.traceBodies ?? 0,
    ratePerSecond: s.proxy.rateLimit?.requestsPerSecond ?? null,
    rateBurst: s.proxy.rateLimit?.burst ?? null,
    rewrites: (s.rewrites ?? []).map((r) => ({ match: r.match, to: r.to, redirect: r.redirect ?? 0 })),
    requestSet: formatHeaderLines(s.headers?.request?.set ?? {}),
    requestRemove: (s.headers?.request?.remove ?? []).join(', '),
    responseSet: formatHeaderLines(s.headers?.response?.set ?? {}),
    responseRemove: (s.headers?.response?.remove ?? []).join(', '),
    appServers: s.appServers.map((a) => ({
      origin: a.name,
      name: a.name,
      kind: a.kind ?? 'command',
      command: a.command ?? '',
      project: a.project ?? '',
      args: [...(a.args ?? [])],
      cwd: a.cwd ?? '',
      env: formatEnv(a.env ?? {}),
      instances: a.instances ?? 1,
      autoPorts: a.ports === undefined || a.ports === 'auto',
      ports: Array.isArray(a.ports) ? a.ports.join(' ') : '',
      readinessKind: a.readiness?.kind ?? 'tcp',
      readinessPath: a.readiness?.path ?? '/',
      restart: a.restart ?? 'on-failure',
    })),
    routes: s.routes.map((r) => ({ pathPrefix: r.pathPrefix ?? '/', stripPrefix: r.stripPrefix ?? false, hosts: (r.hosts ?? []).join(', '), target: r.staticDir ? 'static' : 'app', appServer: r.appServer ?? '', staticDir: r.staticDir ?? '' })),
  }
}

/**
 * Maps schema paths to form fields: `proxy.httpPort` → `httpPort`, `appServers[0].ports[1]` →
 * `appServers[0].ports`, so each message lands next to the input that caused it.
 */
export function fieldOf(path: string): string {
  return path
    .replace(/^proxy\./, '')
    .replace(/^(appServers\[\d+\]\.(ports|args))\[\d+\]$/, '$1')
    .replace(/^(appServers\[\d+\])\.readiness\.(\w+)$/, '$1.readiness')
    .replace(/^hostnames\[\d+\]$/, 'hostnames')
    .replace(/^(routes\[\d+\]\.hosts)\[\d+\]$/, '$1')
    .replace(/^healthCheck\.path$/, 'healthPath')
    .replace(/^healthCheck\.intervalMs$/, 'healthIntervalMs')
    .replace(/^hsts\.\w+$/, 'hsts')
    .replace(/^rateLimit(\.\w+)?$/, 'rateLimit')
    .replace(/^cache(\.\w+)?$/, 'cache')
    .replace(/^headers\.(request|response)\.(set|remove)(\.|\[).*$/, (_m, side: string, op: string) => `${side}${op === 'set' ? 'Set' : 'Remove'}`)
}
