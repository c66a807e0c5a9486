import { isRemoval, type HeaderEffects } from '../header-rules.js'
import { hostGroups } from '../host-groups.js'
import { hstsValue, type ProxySettings } from '../proxy-driver.js'
import { apacheQuote, apacheRegex } from '../config-quoting.js'

/**
 * What Apache serves for one stack, local or production alike: the supervised httpd
 * (apache-config.ts) and the production export (export/render-apache-vhost.ts) both render
 * this model through renderApacheSite, so the two cannot drift.
 */
export interface ApacheSiteModel {
  target: 'local' | 'production'
  serverNames: string[]
  /** `<VirtualHost …>` addresses: `127.0.0.1:8080` locally, `*:80` in production. */
  httpAddress: string
  httpsAddress?: string
  tls?: { certificateFile: string; keyFile: string }
  /** Plain HTTP redirects to HTTPS: locally to the stack's HTTPS port, in production to the same host on 443. */
  redirect?: { status: 301 | 308; httpsPort?: number }
  balancers: { name: string; members: string[] }[]
  routes: { pathPrefix: string; hosts?: string[]; stripPrefix: boolean; headers: { request: HeaderEffects; response: HeaderEffects }; balancer?: string; staticDir?: string }[]
  settings: Pick<ProxySettings, 'loadBalancing' | 'ejection' | 'timeouts' | 'compression' | 'forwardedHeader' | 'maxBodySize' | 'hsts' | 'rewrites' | 'cache'>
  /** With settings.cache: mod_cache_disk's folder (production: Debian's). */
  cacheStore?: { kind: 'disk'; root: string }
  /** Production: the per-site log lines Debian's layout expects. */
  logs?: string[]
}

/** A duration in whole seconds, as Apache takes them. */
export const secs = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

function balancerBlock(model: ApacheSiteModel, b: ApacheSiteModel['balancers'][number]): string {
  const { loadBalancing, timeouts, ejection } = model.settings
  const method = loadBalancing === 'least-connections' ? 'bybusyness' : 'byrequests'
  const members = b.members.map((m, i) => `    BalancerMember ${m} route=${i + 1} connectiontimeout=${secs(timeouts.upstreamConnectMs)} retry=${secs(ejection.ejectMs)} upgrade=websocket`).join('\n')
  const sticky = loadBalancing === 'sticky' ? ' stickysession=AERIE_ROUTE' : ''
  return `<Proxy "balancer://${b.name}">\n${members}\n    ProxySet lbmethod=${method} timeout=${secs(timeouts.upstreamResponseMs)}${sticky}\n</Proxy>`
}

function routeLines(route: ApacheSiteModel['routes'][number]): string[] {
  if (route.staticDir) {
    // The same (no) trailing slash on both sides of Alias; no dotfile (but .well-known/) and no symbolic link, as the built-in proxy.
    const prefix = route.pathPrefix.replace(/\/+$/, '') || '/'
    const dir = route.staticDir.replace(/\/+$/, '')
    return [
      `    ProxyPass ${apacheQuote(prefix)} !`,
      // Alias "/" needs the folder's slash too (it maps /x to <folder>x).
      `    Alias ${apacheQuote(prefix)} ${apacheQuote(prefix === '/' ? `${dir}/` : dir)}`,
      `    <Directory ${apacheQuote(dir)}>`,
      '        Options -FollowSymLinks -Indexes',
      '        Require all granted',
      '        AddDefaultCharset utf-8',
      '        RedirectMatch 404 "/\\.(?!well-known/)"',
      '    </Directory>',
    ]
  }
  if (route.stripPrefix) {
    // /api/x → /x at the app, which learns the prefix from X-Forwarded-Prefix (client-sent ones are unset for the whole host).
    const prefix = route.pathPrefix.replace(/\/+$/, '')
    // Without slashes on either side, mod_proxy maps /api to / and /api/x to /x (and leaves /apix alone).
    const target = `balancer://${route.balancer}`
    return [
      `    ProxyPass ${apacheQuote(prefix)} ${target}`,
      `    ProxyPassReverse ${apacheQuote(prefix)} ${target}`,
      `    <Location ${apacheQuote(prefix)}>`,
      `        RequestHeader set X-Forwarded-Prefix ${apacheQuote(prefix)}`,
      '    </Location>',
    ]
  }
  const target = `balancer://${route.balancer}${route.pathPrefix === '/' ? '/' : route.pathPrefix}`
  return [`    ProxyPass ${apacheQuote(route.pathPrefix)} ${target}`, `    ProxyPassReverse ${apacheQuote(route.pathPrefix)} ${target}`]
}

/**
 * A route's header rules (its final effects: header-rules.ts) in a Location for its prefix. A
 * response header is unset in both of mod_headers' tables (the app's answer is in "onsuccess").
 */
function headerSection(route: ApacheSiteModel['routes'][number]): string[] {
  const { request, response } = route.headers
  if (!request.length && !response.length) return []
  const lines = [
    ...request.map((e) => (isRemoval(e) ? `RequestHeader unset ${e.name}` : `RequestHeader set ${e.name} ${apacheQuote(e.value)}`)),
    ...response.flatMap((e) => (isRemoval(e) ? [`Header unset ${e.name}`, `Header always unset ${e.name}`] : [`Header unset ${e.name}`, `Header always set ${e.name} ${apacheQuote(e.value)}`])),
  ]
  const prefix = route.pathPrefix.replace(/\/+$/, '') || '/'
  return [`    <Location ${apacheQuote(prefix)}>`, ...lines.map((l) => `        ${l}`), '    </Location>']
}

/**
 * mod_cache as a shared cache like the built-in proxy's: explicit freshness only (no heuristic
 * from Last-Modified, no default expiry).
 */
function cacheLines(model: ApacheSiteModel): string[] {
  const { cache } = model.settings
  if (!cache) return []
  const store = model.cacheStore ?? { kind: 'disk', root: '/var/cache/apache2/mod_cache_disk' }
  const bytes = cache.maxSizeMb * 1024 * 1024
  return [
    '    CacheQuickHandler off',
    '    CacheEnable disk /',
    `    CacheRoot ${apacheQuote(store.root)}`,
    `    CacheMaxFileSize ${Math.floor(bytes / 8)}`,
    '    CacheIgnoreNoLastMod On',
    '    CacheLastModifiedFactor 0',
    '    CacheDefaultExpire 0',
    // mod_cache says its verdict in X-Cache (HIT/MISS/REVALIDATE); httpd 2.4 writes no Cache-Status.
    '    CacheHeader on',
  ]
}

function vhost(model: ApacheSiteModel, scheme: 'http' | 'https'): string {
  const [first, ...aliases] = model.serverNames
  const { settings } = model
  const lines = [`<VirtualHost ${scheme === 'https' ? model.httpsAddress : model.httpAddress}>`, `    ServerName ${first}`, ...(aliases.length ? [`    ServerAlias ${aliases.join(' ')}`] : [])]
  if (scheme === 'http' && model.redirect) {
    if (model.redirect.httpsPort) lines.push(`    RedirectMatch ${model.redirect.status} ^(.*)$ https://${first}:${model.redirect.httpsPort}$1`)
    else lines.push('    RewriteEngine On', `    RewriteRule ^(.*)$ https://%{HTTP_HOST}$1 [R=${model.redirect.status},L]`)
    return [...lines, '</VirtualHost>'].join('\n')
  }
  if (scheme === 'https' && model.tls) lines.push('    SSLEngine on', `    SSLCertificateFile ${apacheQuote(model.tls.certificateFile)}`, `    SSLCertificateKeyFile ${apacheQuote(model.tls.keyFile)}`, '    Protocols h2 http/1.1')
  // The stack's body limit (0: none): 413 above it. LimitRequestBody does not apply to proxied requests
  // (httpd leaves r->proxyreq bodies unlimited), so it is a Content-Length check; a chunked body goes through.
  if (settings.maxBodySize) lines.push('    RewriteEngine On', `    RewriteCond expr "%{HTTP:Content-Length} -gt ${settings.maxBodySize}"`, '    RewriteRule ^ - [R=413,L]')
  lines.push(...cacheLines(model))
  // Rewrites in order, the first that matches ends them (L); an internal one goes on to ProxyPass and Alias (PT). The query string is kept.
  if (settings.rewrites?.length) lines.push('    RewriteEngine On', ...settings.rewrites.map((r) => `    RewriteRule ${apacheRegex(r.match)} ${apacheRegex(r.to)} [${r.redirect ? `R=${r.redirect}` : 'PT'},L]`))
  // mod_proxy appends the Host to X-Forwarded-Host: a client-sent one must not come first (the app would take it).
  lines.push('    ProxyPreserveHost On', '    RequestHeader unset X-Forwarded-Host early', '    RequestHeader unset X-Forwarded-Prefix early', `    RequestHeader set X-Forwarded-Proto "${scheme}"`)
  if (settings.forwardedHeader) lines.push(`    RequestHeader set Forwarded "for=%{REMOTE_ADDR}s;proto=${scheme};host=\\"%{HTTP_HOST}s\\""`)
  if (settings.loadBalancing === 'sticky') lines.push('    Header add Set-Cookie "AERIE_ROUTE=.%{BALANCER_WORKER_ROUTE}e; Path=/; HttpOnly" env=BALANCER_ROUTE_CHANGED')
  if (scheme === 'https' && settings.hsts) lines.push(`    Header always set Strict-Transport-Security "${hstsValue(settings.hsts)}"`)
  if (settings.compression) lines.push('    AddOutputFilterByType DEFLATE text/html text/plain text/css application/json application/javascript image/svg+xml')
  for (const route of [...model.routes].sort((a, b) => b.pathPrefix.length - a.pathPrefix.length)) lines.push(...routeLines(route))
  // Shortest prefix first: httpd merges matching Location sections in order, so the longest (the route that serves) ends last.
  for (const route of [...model.routes].sort((a, b) => a.pathPrefix.length - b.pathPrefix.length)) lines.push(...headerSection(route))
  lines.push(...(model.logs ?? []), '</VirtualHost>')
  return lines.join('\n')
}

/** The balancers and the virtual hosts of one stack. */
export function renderApacheSite(model: ApacheSiteModel): string {
  // One virtual host per group of names that the same routes serve (routes limited by "hosts").
  const groups = hostGroups(model.serverNames, model.routes).map((g) => ({ ...model, serverNames: g.hostnames, routes: g.routes }))
  const blocks = [...model.balancers.map((b) => balancerBlock(model, b)), ...groups.map((g) => vhost(g, 'http'))]
  if (model.httpsAddress && model.tls) blocks.push(...groups.map((g) => vhost(g, 'https')))
  return `${blocks.join('\n\n')}\n`
}

/** The modules the rendered site needs (the export names them for a2enmod). */
export function apacheSiteModules(model: ApacheSiteModel): string[] {
  const method = model.settings.loadBalancing === 'least-connections' ? 'bybusyness' : 'byrequests'
  return ['proxy', 'proxy_http', 'proxy_wstunnel', 'proxy_balancer', `lbmethod_${method}`, 'slotmem_shm', 'headers', 'ssl', 'http2', 'rewrite', 'alias', ...(model.settings.compression ? ['deflate', 'filter'] : []), ...(model.settings.cache ? ['cache', 'cache_disk'] : [])]
}
