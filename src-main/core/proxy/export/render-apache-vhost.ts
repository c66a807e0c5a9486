import type { Stack } from '../../stacks/stack-schema.js'
import { apacheSiteModules, renderApacheSite, type ApacheSiteModel } from '../apache/apache-vhosts.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/**
 * An Apache vhost as Microsoft's Apache guide sets it up (Kestrel on localhost, ProxyPreserveHost,
 * the scheme forwarded, HTTP redirected to HTTPS), rendered by the same code as the httpd Aerie
 * runs locally (apache/apache-vhosts.ts), from the production model.
 */
export function renderApacheVhost(stack: Stack, params: ExportParams): string {
  const { apps, routes } = productionModel(stack, params)
  const balancer = (name: string) => `${stack.id}_${name}`.replace(/[^a-zA-Z0-9_]/g, '_')
  const address = (port: number) => `${params.listenAddress ?? '*'}:${port}`
  const model: ApacheSiteModel = {
    target: 'production',
    serverNames: params.serverNames,
    httpAddress: address(params.httpPort),
    httpsAddress: address(params.httpsPort),
    tls: { certificateFile: params.certificateFile, keyFile: params.keyFile },
    redirect: { status: 301, httpsPort: params.httpsPort === 443 ? undefined : params.httpsPort },
    balancers: apps.map((a) => ({ name: balancer(a.name), members: a.ports.map((p) => `http://127.0.0.1:${p}`) })),
    routes: routes.map((r) => ({ pathPrefix: r.pathPrefix, hosts: r.hosts, stripPrefix: r.stripPrefix, headers: r.headers, staticDir: r.staticDir, balancer: r.app && balancer(r.app.name) })),
    settings: { ...stack.proxy, rewrites: stack.rewrites },
    logs: [`    ErrorLog \${APACHE_LOG_DIR}/${stack.id}-error.log`, `    CustomLog \${APACHE_LOG_DIR}/${stack.id}-access.log combined`],
  }
  return `# Apache vhost for "${stack.name}", exported by Aerie. Needs: a2enmod ${apacheSiteModules(model).join(' ')}
# ServerTokens Prod in the server's config keeps the version out of the Server header.${stack.proxy.rateLimit ? `\n# proxy.rateLimit (${stack.proxy.rateLimit.requestsPerSecond}/s, burst ${stack.proxy.rateLimit.burst}) is not rendered: Apache 2.4's stock modules have no request-rate limit (mod_qos or a limit in front of Apache can).` : ''}
${renderApacheSite(model)}`
}
