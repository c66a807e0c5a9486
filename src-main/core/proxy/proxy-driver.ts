import type { TraceBatch } from '../telemetry/trace-wire.js'
import type { ProcessState } from '../supervisor/managed-process.js'
import type { Trace } from '../../contract.js'
import type { HeaderEffects } from './header-rules.js'

/** One app-server instance a proxy can send requests to. */
export interface Upstream {
  /** `web#2` */
  id: string
  host: string
  port: number
  /** Live state, read at request time so that error pages tell the truth. */
  state: () => ProcessState
  /** Why it is not running (exit code, readiness failure), when it is not. */
  problem: () => string | undefined
}

export interface PlanRoute {
  pathPrefix: string
  /** The app server behind this prefix, with its instances… */
  appServer?: string
  upstreams: Upstream[]
  /** …or the absolute folder served for it. */
  staticDir?: string
  /** Forward without the prefix, with X-Forwarded-Prefix. */
  stripPrefix?: boolean
  /** Only for requests to these of the stack's host names; all when absent. */
  hosts?: string[]
  /** The stack's and the route's header rules, as final effects (header-rules.ts). */
  headers?: { request: HeaderEffects; response: HeaderEffects }
}

/** What a proxy must serve for one stack: derived from the stack and its running instances. */
export interface ProxyPlan {
  stackId: string
  listenHost: string
  httpPort: number
  /** With `tls`: the HTTPS listener. */
  httpsPort?: number
  tls?: { certPem: string; keyPem: string }
  hostnames: string[]
  routes: PlanRoute[]
  settings: ProxySettings
  /** A private folder for a real proxy's config, logs and runtime files. */
  workDir?: string
  /** A free loopback port for a proxy's admin API (Caddy). */
  adminPort?: number
  /** The data directory's process owner tag (supervisor/process-tree.ts), for a proxy that runs as a process. */
  owner?: string
}

/** The stack's proxy settings that every proxy kind renders its own way. */
export interface ProxySettings {
  redirectToHttps: boolean
  loadBalancing: 'round-robin' | 'least-connections' | 'sticky'
  healthCheck?: { path: string; intervalMs: number }
  ejection: { failures: number; ejectMs: number }
  timeouts: { clientHeadersMs: number; idleMs: number; upstreamConnectMs: number; upstreamResponseMs: number }
  compression: boolean
  /** Bytes; 0: no limit. */
  maxBodySize: number
  /** URL rewrites before routing, the first that matches applies (stack-schema.ts RewriteSchema). */
  rewrites?: { match: string; to: string; redirect?: number }[]
  /** A shared response cache of this size. */
  cache?: { maxSizeMb: number }
  /** Per client address (429 beyond it). */
  rateLimit?: { requestsPerSecond: number; burst: number }
  /** Strict-Transport-Security on HTTPS answers. */
  hsts?: { maxAgeSeconds: number; includeSubDomains: boolean }
  forwardedHeader: boolean
  traceSecrets: boolean
  /** Bytes of each body to record in the trace (built-in proxy; 0 or absent: none). */
  traceBodies?: number
}

export interface ProxyHooks {
  log: (lines: string[]) => void
  trace: (trace: Trace) => void
  /** The built-in proxy's traces as they crossed from its process, when the receiver keeps them so (else each goes to `trace`). */
  traceBatch?: (batch: TraceBatch) => void
}

export interface RunningProxy {
  /** Applies a changed plan without dropping requests in flight. */
  reload(plan: ProxyPlan): Promise<void>
  /** Stops listening and closes connections. Idempotent. */
  stop(): Promise<void>
  /** An instance changed state: a proxy that keeps its own copy of the states (the built-in proxy's process) updates it now. */
  instancesChanged?(): void
  /** Empties the response cache (what is under `prefix`, where the proxy can tell); resolves how many answers went, when it can count them. */
  purgeCache?(prefix?: string): Promise<number | undefined>
  /** The server process, for a proxy that runs as one (nginx, Apache, Caddy, the built-in proxy's own process). */
  pid?(): number | undefined
}

export interface DriverAvailability {
  available: boolean
  version?: string
  /** What is missing and how to install it, when not available. */
  problem?: string
}

/** One module per proxy kind implements this; `proxy-drivers.ts` registers them. */
export interface ProxyDriver {
  readonly kind: string
  detect(): Promise<DriverAvailability>
  start(plan: ProxyPlan, hooks: ProxyHooks): Promise<RunningProxy>
  /** Checks that `plan` would be served (a real server's own validator on the rendered config) without touching a running proxy. */
  validate?(plan: ProxyPlan): Promise<void>
  /** True when this driver already listens on host:port for another stack (a port it can share). */
  ownsPort?(host: string, port: number): boolean
}

/** The Strict-Transport-Security value every engine sends: `max-age=600; includeSubDomains`. */
export function hstsValue(hsts: NonNullable<ProxySettings['hsts']>): string {
  return `max-age=${hsts.maxAgeSeconds}${hsts.includeSubDomains ? '; includeSubDomains' : ''}`
}
