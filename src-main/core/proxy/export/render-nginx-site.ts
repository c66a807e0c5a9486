import type { Stack } from '../../stacks/stack-schema.js'
import { renderNginxServers } from '../nginx/nginx-servers.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/** nginx `listen` arguments: the given address, or every IPv4 and IPv6 one. */
function listenOn(params: ExportParams, port: number): string[] {
  if (!params.listenAddress) return [`${port}`, `[::]:${port}`]
  return [`${params.listenAddress.includes(':') ? `[${params.listenAddress}]` : params.listenAddress}:${port}`]
}

/**
 * An nginx site as Microsoft's "Host ASP.NET Core on Linux with Nginx" guide sets it up:
 * Kestrel on localhost behind nginx, the original Host and the scheme forwarded, HTTP
 * redirected to HTTPS, WebSocket upgrades passed through. Rendered by the same code as the
 * nginx Aerie runs locally (nginx/nginx-servers.ts), from the production model.
 */
export function renderNginxSite(stack: Stack, params: ExportParams): string {
  const { apps, routes } = productionModel(stack, params)
  const upstream = (name: string) => `${stack.id}_${name}`.replace(/[^a-zA-Z0-9_]/g, '_')
  const servers = renderNginxServers({
    target: 'production',
    prefix: upstream('aerie'),
    serverNames: params.serverNames,
    httpListen: listenOn(params, params.httpPort),
    httpsListen: listenOn(params, params.httpsPort),
    tls: { certificateFile: params.certificateFile, keyFile: params.keyFile },
    redirectTo: { status: 301, base: params.httpsPort === 443 ? 'https://$host' : `https://$host:${params.httpsPort}` },
    upstreams: apps.map((a) => ({ name: upstream(a.name), servers: a.ports.map((p) => `127.0.0.1:${p}`) })),
    routes: routes.map((r) => ({ pathPrefix: r.pathPrefix, hosts: r.hosts, stripPrefix: r.stripPrefix, headers: r.headers, staticDir: r.staticDir, upstream: r.app && upstream(r.app.name) })),
    settings: { ...stack.proxy, rewrites: stack.rewrites },
    // /var/cache exists everywhere; nginx creates only the last folder of the path.
    cacheDir: `/var/cache/nginx-${stack.id}`,
  })
  return `# nginx site for "${stack.name}", exported by Aerie. Put it in /etc/nginx/sites-available/${stack.id}
# and link it from sites-enabled; the apps run as systemd services (aerie export ${stack.id} --to systemd).
${servers}`
}
