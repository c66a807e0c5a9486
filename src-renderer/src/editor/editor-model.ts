import type { StackInput } from '../../../src-main/contract'

/** The stack editor's form: text where users type lists, converted to a stack on every change. */
export interface AppServerDraft {
  name: string
  kind: 'command' | 'dotnet'
  command: string
  project: string
  args: string
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
  appServers: AppServerDraft[]
  routes: RouteDraft[]
}

const words = (s: string) => s.split(/[\s,]+/).filter(Boolean)

export function emptyAppServer(name = 'web'): AppServerDraft {
  return { name, kind: 'command', command: '', project: '', args: '', cwd: '', env: '', instances: 1, autoPorts: true, ports: '', readinessKind: 'tcp', readinessPath: '/', restart: 'on-failure' }
}

export function emptyDraft(): StackDraft {
  return { id: '', name: '', hostnames: '', kind: 'builtin', httpPort: 8081, httpsPort: null, redirectToHttps: false, loadBalancing: 'round-robin', healthPath: '', healthIntervalMs: 5000, compression: true, appServers: [emptyAppServer()], routes: [{ pathPrefix: '/', target: 'app', appServer: 'web', staticDir: '' }] }
}

/** A kebab-case id from a name: "My Shop" → "my-shop". */
export function idFromName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=')
    env[eq === -1 ? line : line.slice(0, eq).trim()] = eq === -1 ? '' : line.slice(eq + 1).trim()
  }
  return env
}

/** The stack the form describes; the contract's schema validates it (and names the fields at fault). */
export function draftToStack(d: StackDraft, base?: StackInput): StackInput {
  const num = (v: number | null) => v ?? undefined
  return {
    ...(base ?? {}),
    id: d.id,
    name: d.name,
    hostnames: words(d.hostnames),
    appServers: d.appServers.map((a) => ({
      ...(base?.appServers?.find((b) => b.name === a.name) ?? {}),
      name: a.name,
      kind: a.kind,
      command: a.kind === 'command' ? a.command : '',
      ...(a.kind === 'dotnet' ? { project: a.project } : { project: undefined }),
      args: words(a.args),
      ...(a.cwd ? { cwd: a.cwd } : { cwd: undefined }),
      env: parseEnv(a.env),
      instances: Number(a.instances),
      ports: a.autoPorts ? 'auto' : words(a.ports).map(Number),
      readiness: { kind: a.readinessKind, path: a.readinessPath || '/', expectStatus: 200, timeoutMs: a.kind === 'dotnet' ? 120_000 : 30_000 },
      restart: a.restart,
    })),
    routes: d.routes.map((r) => (r.target === 'app' ? { pathPrefix: r.pathPrefix, appServer: r.appServer } : { pathPrefix: r.pathPrefix, staticDir: r.staticDir })),
    proxy: {
      ...(base?.proxy ?? {}),
      kind: d.kind,
      httpPort: num(d.httpPort) as number,
      httpsPort: num(d.httpsPort),
      redirectToHttps: d.redirectToHttps,
      loadBalancing: d.loadBalancing,
      healthCheck: d.healthPath ? { path: d.healthPath, intervalMs: Number(d.healthIntervalMs) } : undefined,
      compression: d.compression,
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
    appServers: s.appServers.map((a) => ({
      name: a.name,
      kind: a.kind ?? 'command',
      command: a.command ?? '',
      project: a.project ?? '',
      args: (a.args ?? []).join(' '),
      cwd: a.cwd ?? '',
      env: Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${v}`).join('\n'),
      instances: a.instances ?? 1,
      autoPorts: a.ports === undefined || a.ports === 'auto',
      ports: Array.isArray(a.ports) ? a.ports.join(' ') : '',
      readinessKind: a.readiness?.kind ?? 'tcp',
      readinessPath: a.readiness?.path ?? '/',
      restart: a.restart ?? 'on-failure',
    })),
    routes: s.routes.map((r) => ({ pathPrefix: r.pathPrefix ?? '/', target: r.staticDir ? 'static' : 'app', appServer: r.appServer ?? '', staticDir: r.staticDir ?? '' })),
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
    .replace(/^healthCheck\.path$/, 'healthPath')
    .replace(/^healthCheck\.intervalMs$/, 'healthIntervalMs')
}
