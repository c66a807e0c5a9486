import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/** An Apache vhost (mods: proxy, proxy_http, proxy_balancer, lbmethod_*, headers, ssl, rewrite) as Microsoft's Apache guide sets it up. */
export function renderApacheVhost(stack: Stack, params: ExportParams): string {
  const { apps, routes } = productionModel(stack, params)
  const [name, ...aliases] = params.serverNames
  const method = stack.proxy.loadBalancing === 'least-connections' ? 'bybusyness' : 'byrequests'
  const balancers = apps
    .map((a) => `<Proxy "balancer://${stack.id}_${a.name}">\n${a.ports.map((p) => `    BalancerMember http://127.0.0.1:${p} upgrade=websocket`).join('\n')}\n    ProxySet lbmethod=${method}\n</Proxy>`)
    .join('\n')
  const passes = routes
    .map((r) =>
      r.staticDir
        ? `    ProxyPass ${r.pathPrefix} !\n    Alias ${r.pathPrefix} "${r.staticDir}"`
        : `    ProxyPass ${r.pathPrefix} balancer://${stack.id}_${r.app!.name}${r.pathPrefix === '/' ? '/' : r.pathPrefix}\n    ProxyPassReverse ${r.pathPrefix} balancer://${stack.id}_${r.app!.name}${r.pathPrefix === '/' ? '/' : r.pathPrefix}`,
    )
    .join('\n')
  const alias = aliases.length ? `\n    ServerAlias ${aliases.join(' ')}` : ''
  return `# Apache vhost for "${stack.name}", exported by Aerie. Needs: a2enmod proxy proxy_http proxy_balancer lbmethod_${method} headers ssl rewrite
${balancers}

<VirtualHost *:80>
    ServerName ${name}${alias}
    RewriteEngine On
    RewriteRule ^(.*)$ https://%{HTTP_HOST}$1 [R=301,L]
</VirtualHost>

<VirtualHost *:443>
    ServerName ${name}${alias}
    SSLEngine on
    SSLCertificateFile ${params.certificateFile}
    SSLCertificateKeyFile ${params.keyFile}
    ProxyPreserveHost On
    RequestHeader set X-Forwarded-Proto "https"
${passes}
    ErrorLog \${APACHE_LOG_DIR}/${stack.id}-error.log
    CustomLog \${APACHE_LOG_DIR}/${stack.id}-access.log common
</VirtualHost>
`
}
