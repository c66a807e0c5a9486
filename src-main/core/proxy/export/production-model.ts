import path from 'node:path'
import type { AppServer, Stack } from '../../stacks/stack-schema.js'
import type { ExportParams } from './export-params.js'
import { routeHeaderEffects, type HeaderEffects } from '../header-rules.js'

/** One app server as it runs in production: N Kestrel instances on consecutive localhost ports. */
export interface ProductionApp {
  name: string
  app: AppServer
  ports: number[]
  /** The published entry point (`<appDirectory>/<name>/<Assembly>.dll`), or the command for non-.NET servers. */
  dll: string
}

export interface ProductionRoute {
  pathPrefix: string
  /** Production names (params.serverNames) this route is for; all when absent. */
  hosts?: string[]
  stripPrefix: boolean
  headers: { request: HeaderEffects; response: HeaderEffects }
  app?: ProductionApp
  staticDir?: string
}

/** The stack mapped onto production: ports from `basePort`, the app under `appDirectory`. */
export function productionModel(stack: Stack, params: ExportParams): { apps: ProductionApp[]; routes: ProductionRoute[] } {
  let next = params.basePort
  const apps = stack.appServers.map((app) => {
    const ports = Array.from({ length: app.instances }, () => next++)
    const assembly = app.project ? path.basename(app.project, '.csproj') : app.name
    return { name: app.name, app, ports, dll: `${params.appDirectory}/${app.name}/${assembly}.dll` }
  })
  const routes = [...stack.routes]
    .map((r) => ({ ...r, hosts: r.hosts && productionHosts(stack, params, r.hosts) }))
    .sort((a, b) => b.pathPrefix.length - a.pathPrefix.length)
    .map((r) => ({ pathPrefix: r.pathPrefix, hosts: r.hosts, stripPrefix: r.stripPrefix, headers: routeHeaderEffects(stack.headers, r.headers), app: apps.find((a) => a.name === r.appServer), staticDir: r.staticDir && `${params.appDirectory}/static/${path.basename(r.staticDir)}` }))
  return { apps, routes }
}

/**
 * The production names of a route's local host names: --server-name gives one production name
 * per host name of the stack, in the same order, when a route is limited to some of them.
 */
function productionHosts(stack: Stack, params: ExportParams, hosts: string[]): string[] {
  if (params.serverNames.length !== stack.hostnames.length)
    throw new Error(
      `a route of "${stack.id}" is only for ${hosts.join(', ')}: give one --server-name per host name of the stack, in the same order (${stack.hostnames.join(', ')}), so that each maps to its production name`,
    )
  return hosts.map((h) => params.serverNames[stack.hostnames.indexOf(h)])
}
