import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/**
 * An nginx site as Microsoft's "Host ASP.NET Core on Linux with Nginx" guide sets it up:
 * Kestrel on localhost behind nginx, the original Host and the scheme forwarded, HTTP
 * redirected to HTTPS, WebSocket upgrades passed through.
 */
export function renderNginxSite(stack: Stack, params: ExportParams): string {
  const { apps, routes } = productionModel(stack, params)
  const names = params.serverNames.join(' ')
  const method = stack.proxy.loadBalancing === 'least-connections' ? '    least_conn;\n' : stack.proxy.loadBalancing === 'sticky' ? '    ip_hash;\n' : ''
  const upstreams = apps.map((a) => `upstream ${stack.id}_${a.name} {\n${method}${a.ports.map((p) => `    server 127.0.0.1:${p} max_fails=${stack.proxy.ejection.failures} fail_timeout=${Math.ceil(stack.proxy.ejection.ejectMs / 1000)}s;\n`).join('')}    keepalive 32;\n}`).join('\n\n')
  const locations = routes
    .map((r) =>
      r.staticDir
        ? `    location ${r.pathPrefix.replace(/\/?$/, '/')} {\n        alias ${r.staticDir}/;\n    }`
        : `    location ${r.pathPrefix} {
        proxy_pass         http://${stack.id}_${r.app!.name};
        proxy_http_version 1.1;
        proxy_set_header   Upgrade $http_upgrade;
        proxy_set_header   Connection $connection_upgrade;
        proxy_set_header   Host $host;
        proxy_cache_bypass $http_upgrade;
        proxy_set_header   X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header   X-Forwarded-Proto $scheme;
        proxy_connect_timeout ${Math.ceil(stack.proxy.timeouts.upstreamConnectMs / 1000)}s;
        proxy_read_timeout ${Math.ceil(stack.proxy.timeouts.upstreamResponseMs / 1000)}s;
    }`,
    )
    .join('\n')
  return `# nginx site for "${stack.name}", exported by Aerie. Put it in /etc/nginx/sites-available/${stack.id}
# and link it from sites-enabled; the apps run as systemd services (aerie export ${stack.id} --to systemd).
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      '';
}

${upstreams}

server {
    listen 80;
    listen [::]:80;
    server_name ${names};
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name ${names};

    ssl_certificate     ${params.certificateFile};
    ssl_certificate_key ${params.keyFile};
    ssl_protocols       TLSv1.2 TLSv1.3;
${stack.proxy.compression ? '\n    gzip on;\n    gzip_proxied any;\n    gzip_types text/plain text/css application/json application/javascript image/svg+xml;\n' : ''}
${locations}
}
`
}
