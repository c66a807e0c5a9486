import fs from 'node:fs'
import type { PlanRoute, ProxyPlan } from '../proxy-driver.js'
import type { ProxyPaths } from '../external/external-proxy.js'
import { apacheQuote } from '../config-quoting.js'

/** Where Debian (and most Linux distributions) keep Apache's modules; macOS/Homebrew keeps them under lib/httpd/modules. */
const MODULE_DIRS = ['/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules', '/opt/homebrew/lib/httpd/modules', '/usr/local/lib/httpd/modules']
const MODULES = ['mpm_event', 'authz_core', 'mime', 'headers', 'proxy', 'proxy_http', 'proxy_wstunnel', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests', 'lbmethod_bybusyness', 'ssl', 'socache_shmcb', 'deflate', 'filter', 'alias', 'dir', 'http2', 'env', 'setenvif']

export function apacheModuleDir(): string {
  return MODULE_DIRS.find((d) => fs.existsSync(`${d}/mod_proxy.so`)) ?? MODULE_DIRS[0]
}

const secs = (ms: number) => Math.max(1, Math.ceil(ms / 1000))
const balancer = (appServer: string) => `balancer://aerie_${appServer.replace(/[^a-zA-Z0-9_]/g, '_')}`

/** Tab-separated: Apache's "JSON" log escapes quotes as \x22, which JSON parsers reject. %D is microseconds. */
export const APACHE_LOG_FORMAT = 'LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t\\t%a\\t%m\\t%{Host}i\\t%U%q\\t%>s\\t%I\\t%O\\t%D\\t%{BALANCER_WORKER_NAME}e\\t%H\\t%{SSL_PROTOCOL}x\\t%{traceparent}i" aerie'

function balancers(plan: ProxyPlan): string {
  const { loadBalancing, timeouts, ejection } = plan.settings
  const method = loadBalancing === 'least-connections' ? 'bybusyness' : 'byrequests'
  return plan.routes
    .filter((r): r is PlanRoute & { appServer: string } => Boolean(r.appServer))
    .map((r) => {
      const members = r.upstreams
        .map((u, i) => `  BalancerMember http://${u.host}:${u.port} route=${i + 1} connectiontimeout=${secs(timeouts.upstreamConnectMs)} retry=${secs(ejection.ejectMs)} upgrade=websocket`)
        .join('\n')
      const sticky = loadBalancing === 'sticky' ? ' stickysession=AERIE_ROUTE' : ''
      return `<Proxy "${balancer(r.appServer)}">\n${members}\n  ProxySet lbmethod=${method} timeout=${secs(timeouts.upstreamResponseMs)}${sticky}\n</Proxy>`
    })
    .join('\n')
}

function vhost(plan: ProxyPlan, paths: ProxyPaths, scheme: 'http' | 'https', port: number): string {
  const [first, ...aliases] = plan.hostnames
  const { settings } = plan
  const lines = [`<VirtualHost ${plan.listenHost}:${port}>`, `  ServerName ${first}`, ...(aliases.length ? [`  ServerAlias ${aliases.join(' ')}`] : [])]
  if (scheme === 'https') lines.push('  SSLEngine on', `  SSLCertificateFile "${paths.certFile}"`, `  SSLCertificateKeyFile "${paths.keyFile}"`, '  Protocols h2 http/1.1')
  if (scheme === 'http' && settings.redirectToHttps && plan.httpsPort) {
    lines.push(`  RedirectMatch 308 ^(.*)$ https://${first}:${plan.httpsPort}$1`)
  } else {
    // mod_proxy appends the Host to X-Forwarded-Host: a client-sent one must not come first (the app would take it).
    lines.push('  ProxyPreserveHost On', '  RequestHeader unset X-Forwarded-Host early', `  RequestHeader set X-Forwarded-Proto "${scheme}"`)
    if (settings.forwardedHeader) lines.push(`  RequestHeader set Forwarded "for=%{REMOTE_ADDR}s;proto=${scheme};host=\\"%{HTTP_HOST}s\\""`)
    if (settings.loadBalancing === 'sticky') lines.push('  Header add Set-Cookie "AERIE_ROUTE=.%{BALANCER_WORKER_ROUTE}e; Path=/; HttpOnly" env=BALANCER_ROUTE_CHANGED')
    if (settings.compression) lines.push('  AddOutputFilterByType DEFLATE text/html text/plain text/css application/json application/javascript image/svg+xml')
    for (const route of [...plan.routes].sort((a, b) => b.pathPrefix.length - a.pathPrefix.length)) {
      if (route.staticDir) {
        // The same trailing slash (none) on both sides of Alias; no dotfile (but .well-known/) and no symbolic link, as the built-in proxy.
        const prefix = route.pathPrefix.replace(/\/+$/, '') || '/'
        const dir = route.staticDir.replace(/\/+$/, '')
        lines.push(
          `  ProxyPass ${apacheQuote(prefix)} !`,
          `  Alias ${apacheQuote(prefix)} ${apacheQuote(dir)}`,
          `  <Directory ${apacheQuote(dir)}>\n    Options -FollowSymLinks -Indexes\n    Require all granted\n    AddDefaultCharset utf-8\n    RedirectMatch 404 "/\\.(?!well-known/)"\n  </Directory>`,
        )
      } else {
        const target = `${balancer(route.appServer!)}${route.pathPrefix === '/' ? '/' : route.pathPrefix}`
        lines.push(`  ProxyPass ${route.pathPrefix} ${target}`, `  ProxyPassReverse ${route.pathPrefix} ${target}`)
      }
    }
  }
  lines.push('</VirtualHost>')
  return lines.join('\n')
}

/** The stack as a self-contained httpd.conf: runtime files under the work folder, no APACHE_* variables. */
export function renderApacheConfig(plan: ProxyPlan, paths: ProxyPaths): string {
  const modules = apacheModuleDir()
  const runAsRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const listen = [`Listen ${plan.listenHost}:${plan.httpPort}`, ...(plan.httpsPort && plan.tls ? [`Listen ${plan.listenHost}:${plan.httpsPort} https`] : [])]
  return `# Generated by Aerie for stack "${plan.stackId}". Edits are overwritten: change the stack instead.
ServerRoot "${paths.dir}"
PidFile "${paths.dir}/httpd.pid"
DefaultRuntimeDir "${paths.dir}"
Mutex file:${paths.dir} default
${MODULES.map((m) => `LoadModule ${m}_module ${modules}/mod_${m}.so`).join('\n')}
${runAsRoot ? 'User www-data\nGroup www-data\n' : ''}ServerName localhost
ErrorLog /dev/stderr
LogLevel warn
TypesConfig /etc/mime.types
${APACHE_LOG_FORMAT}
CustomLog "${paths.accessLog}" aerie
Timeout ${secs(plan.settings.timeouts.clientHeadersMs)}
KeepAliveTimeout ${secs(plan.settings.timeouts.idleMs)}
ProxyTimeout ${secs(plan.settings.timeouts.upstreamResponseMs)}
SSLSessionCache "shmcb:${paths.dir}/ssl_scache(512000)"
${listen.join('\n')}
${balancers(plan)}
<VirtualHost ${plan.listenHost}:${plan.httpPort}>
  ServerName aerie-default.invalid
  Redirect 404 /
</VirtualHost>
${vhost(plan, paths, 'http', plan.httpPort)}
${plan.httpsPort && plan.tls ? vhost(plan, paths, 'https', plan.httpsPort) : ''}
`
}
