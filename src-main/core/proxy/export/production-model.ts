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
    .sort((a, b) => b.pathPrefix.length - a.pathPrefix.length)
    .map((r) => ({ pathPrefix: r.pathPrefix, stripPrefix: r.stripPrefix, headers: routeHeaderEffects(stack.headers, r.headers), app: apps.find((a) => a.name === r.appServer), staticDir: r.staticDir && `${params.appDirectory}/static/${path.basename(r.staticDir)}` }))
  return { apps, routes }
}
