import path from 'node:path'
import type { Launch } from './supervisor/dotnet-launch.js'
import { expandTokens, instanceEnv, type InstanceContext } from './supervisor/instance-env.js'
import type { ManagedProcess, ProcessSpec } from './supervisor/managed-process.js'
import type { AppServer, Stack } from './stacks/stack-schema.js'
import { routeHeaderEffects } from './proxy/header-rules.js'
import type { ProxyPlan } from './proxy/proxy-driver.js'
import { proxyDriver } from './proxy/proxy-drivers.js'
import { portInUseMessage } from './supervisor/port-owner.js'
import { isPortFree } from './supervisor/ports.js'
import { CodedError } from './error-codes.js'

/** One supervised instance of an app server. */
export interface Instance {
  appServer: string
  instance: number
  process: ManagedProcess
}

/** What a plan needs besides the stack and its instances. */
export interface PlanContext {
  tls: { certPem: string; keyPem: string } | undefined
  workDir: string
  adminPort: number | undefined
  owner: string
  /** Relative static folders are relative to this (the stack file's folder). */
  baseDir: string
}

/** What a proxy serves for `stack` with `instances`: settings, routes and their live upstreams. */
export function proxyPlanFor(stack: Stack, instances: readonly Instance[], context: PlanContext): ProxyPlan {
  return {
    stackId: stack.id,
    listenHost: stack.proxy.listenHost,
    httpPort: stack.proxy.httpPort,
    httpsPort: stack.proxy.httpsPort,
    tls: context.tls,
    workDir: context.workDir,
    adminPort: context.adminPort,
    owner: context.owner,
    hostnames: stack.hostnames,
    settings: {
      redirectToHttps: stack.proxy.redirectToHttps,
      loadBalancing: stack.proxy.loadBalancing,
      healthCheck: stack.proxy.healthCheck,
      ejection: stack.proxy.ejection,
      timeouts: stack.proxy.timeouts,
      compression: stack.proxy.compression,
      maxBodySize: stack.proxy.maxBodySize,
      hsts: stack.proxy.hsts,
      rateLimit: stack.proxy.rateLimit,
      rewrites: stack.rewrites,
      cache: stack.proxy.cache,
      forwardedHeader: stack.proxy.forwardedHeader,
      traceSecrets: stack.proxy.traceSecrets,
      traceBodies: stack.proxy.traceBodies,
    },
    routes: stack.routes.map((r) => ({
      pathPrefix: r.pathPrefix,
      appServer: r.appServer,
      stripPrefix: r.stripPrefix,
      hosts: r.hosts,
      headers: routeHeaderEffects(stack.headers, r.headers),
      staticDir: r.staticDir ? path.resolve(context.baseDir, expandTokens(r.staticDir)) : undefined,
      upstreams: instances
        .filter((i) => i.appServer === r.appServer)
        .map((i) => ({
          id: `${i.appServer}#${i.instance}`,
          host: '127.0.0.1',
          port: i.process.spec.port,
          state: () => i.process.current.state,
          problem: () => i.process.current.error,
        })),
    })),
  }
}

/** The proxy's ports are free, or already the proxy's (shared by host name, or `current`'s own: the stack before a change). */
export async function checkProxyListeners(stack: Stack, current?: Stack): Promise<void> {
  const { listenHost, httpPort, httpsPort } = stack.proxy
  const driver = proxyDriver(stack.proxy.kind)
  const ours = (port: number) => current !== undefined && current.proxy.listenHost === listenHost && [current.proxy.httpPort, current.proxy.httpsPort].includes(port)
  const usable = async (port: number) => ours(port) || driver.ownsPort?.(listenHost, port) || (await isPortFree(port, listenHost))
  if (!(await usable(httpPort))) throw new CodedError('conflict', portInUseMessage(httpPort, listenHost, 'proxy.httpPort', 'stop what holds it or pick another port'))
  if (httpsPort !== undefined && !(await usable(httpsPort))) throw new CodedError('conflict', portInUseMessage(httpsPort, listenHost, 'proxy.httpsPort', 'stop what holds it or pick another port'))
}

/** The supervised process of instance `n` of `app`, on `port`, tagged for this data directory's `owner`. */
export function instanceSpec(stackId: string, app: AppServer, n: number, port: number, launch: Launch, owner: string, context: InstanceContext = {}): ProcessSpec {
  return {
    id: `${stackId}/${app.name}#${n}`,
    command: launch.command,
    args: [...launch.args, ...app.args.map(expandTokens)],
    cwd: launch.cwd,
    env: instanceEnv(app, n, port, context),
    port,
    readiness: app.readiness,
    restart: { mode: app.restart, initialDelayMs: app.restartBackoff.initialMs, maxDelayMs: app.restartBackoff.maxMs, burst: app.restartLimit.burst, windowMs: app.restartLimit.windowMs },
    stopGraceMs: app.stopGraceMs,
    owner,
  }
}
