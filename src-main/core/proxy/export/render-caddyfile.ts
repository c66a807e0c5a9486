import type { Stack } from '../../stacks/stack-schema.js'
import { renderCaddySites } from '../caddy/caddy-site.js'
import { PLACEHOLDER_CERTIFICATE, type ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/**
 * A production Caddyfile: the server names with the given certificate (Caddy redirects HTTP to
 * HTTPS itself), the stack's routes and pool policy, rendered by the same code as the Caddy Aerie
 * runs locally (caddy/caddy-site.ts), from the production model.
 */
export function renderProductionCaddyfile(stack: Stack, params: ExportParams): string {
  const { routes } = productionModel(stack, params)
  const port = params.httpsPort === 443 ? '' : `:${params.httpsPort}`
  // Without a certificate of the user's, Caddy's automatic HTTPS gets one (the placeholders would only fail).
  const ownCertificate = params.certificateFile !== PLACEHOLDER_CERTIFICATE.certificateFile
  const sites = renderCaddySites({
    sites: [{ scheme: 'https', addresses: params.serverNames.map((n) => `${n}${port}`) }],
    bind: params.listenAddress,
    tls: ownCertificate ? { certificateFile: params.certificateFile, keyFile: params.keyFile } : undefined,
    routes: routes.map((r) => ({ pathPrefix: r.pathPrefix, hosts: r.hosts, stripPrefix: r.stripPrefix, headers: r.headers, staticDir: r.staticDir, servers: r.app?.ports.map((p) => `127.0.0.1:${p}`) })),
    settings: { ...stack.proxy, rewrites: stack.rewrites },
  })
  const rate = stack.proxy.rateLimit
  const notRendered = rate ? `\n# proxy.rateLimit (${rate.requestsPerSecond}/s, burst ${rate.burst}) is not rendered: Caddy 2.6 has no rate limit without a third-party module.` : ''
  return `# Caddyfile for "${stack.name}", exported by Aerie.${notRendered}${ownCertificate ? '' : '\n# No certificate was given (--cert/--key): Caddy obtains and renews one for these names itself (automatic HTTPS).'}
${sites}`
}
