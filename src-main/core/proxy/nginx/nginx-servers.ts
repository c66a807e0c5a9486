import { hstsValue, type ProxySettings } from '../proxy-driver.js'
import { STICKY_COOKIE } from '../builtin/upstream-pool.js'
import { nginxQuote, nginxRegex } from '../config-quoting.js'
import { hostGroups } from '../host-groups.js'
import { isRemoval, type HeaderEffects } from '../header-rules.js'

/**
 * What an nginx config serves for one stack, local or production alike: the one model both the
 * supervised nginx (nginx-config.ts) and the production export (export/render-nginx-site.ts)
 * render through renderNginxServers, so the two cannot drift.
 */
export interface NginxSiteModel {
  target: 'local' | 'production'
  /** Names this stack's variables ($<prefix>_traceparent, $<prefix>_sticky), so that two sites in one nginx do not clash. */
  prefix: string
  serverNames: string[]
  /** `listen` arguments of the plain-HTTP server, e.g. `127.0.0.1:8080` or `80` and `[::]:80`. */
  httpListen: string[]
  /** `listen` arguments of the TLS server (`ssl http2` is added); none without TLS. */
  httpsListen: string[]
  tls?: { certificateFile: string; keyFile: string }
  /** Where plain HTTP redirects to: `https://$host:<port>` locally, `https://$host` in production; none serves it. */
  redirectTo?: { status: 301 | 308; base: string }
  /** One per app server, however many routes lead to it (nginx refuses a duplicate name). */
  upstreams: { name: string; servers: string[] }[]
  /** Longest prefix first is not needed: nginx picks the longest matching prefix itself. */
  routes: { pathPrefix: string; hosts?: string[]; stripPrefix: boolean; headers: { request: HeaderEffects; response: HeaderEffects }; upstream?: string; staticDir?: string }[]
  settings: Pick<ProxySettings, 'loadBalancing' | 'ejection' | 'timeouts' | 'compression' | 'forwardedHeader' | 'maxBodySize' | 'hsts' | 'rateLimit' | 'rewrites' | 'cache'>
  /** Where proxy_cache keeps its files (with settings.cache). */
  cacheDir?: string
}

/** A stripPrefix prefix (letters, digits, - . _ ~ / only: STRIPPABLE_PREFIX) as a literal in a regular expression. */
const regexEscape = (s: string) => s.replaceAll('.', '\\.')

/** A duration in nginx syntax (it takes ms). */
export const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`

const stickyVariable = (model: NginxSiteModel) => `$${model.prefix}_sticky`
/** The traceparent the app gets: the client's trace with a new span, or a new trace (the variable the access log records too). */
export const traceparentVariable = (prefix: string) => `$${prefix}_traceparent`

/**
 * W3C trace context without a module: $request_id is 32 random hex digits, a new trace id; its
 * first 16 are the new span id. A client's valid traceparent keeps its trace id and flags.
 */
function traceMaps(model: NginxSiteModel): string {
  const v = traceparentVariable(model.prefix)
  return `map $request_id $${model.prefix}_span_id {\n    "~^(?<span>[0-9a-f]{16})" $span;\n}\n\nmap $http_traceparent ${v} {\n    "~^00-(?<trace>[0-9a-f]{32})-[0-9a-f]{16}-(?<flags>[0-9a-f]{2})$" "00-$trace-$${model.prefix}_span_id-$flags";\n    default "00-$request_id-$${model.prefix}_span_id-01";\n}`
}

/**
 * Sticky sessions without nginx Plus: a client without the cookie gets a new random key
 * ($request_id) in it, and the upstream is chosen by a consistent hash of the key, so the
 * same cookie always reaches the same instance (ip_hash would send every local client to one).
 */
function stickyMaps(model: NginxSiteModel): string {
  const v = stickyVariable(model)
  return `map $cookie_${STICKY_COOKIE} ${v} {\n    ""      $request_id;\n    default $cookie_${STICKY_COOKIE};\n}\n\nmap $cookie_${STICKY_COOKIE} ${v}_cookie {\n    ""      "${STICKY_COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";\n    default "";\n}`
}

function upstreamBlock(model: NginxSiteModel, u: NginxSiteModel['upstreams'][number]): string {
  const { loadBalancing, ejection } = model.settings
  const method = loadBalancing === 'least-connections' ? '    least_conn;\n' : loadBalancing === 'sticky' ? `    hash ${stickyVariable(model)} consistent;\n` : ''
  const servers = u.servers.map((s) => `    server ${s} max_fails=${ejection.failures} fail_timeout=${Math.ceil(ejection.ejectMs / 1000)}s;\n`).join('')
  return `upstream ${u.name} {\n${method}${servers}    keepalive 32;\n}`
}

/** Strict-Transport-Security in a TLS server's location (an add_header in a location replaces the server's), over the app's own. */
function hstsLines(model: NginxSiteModel, tls: boolean, proxied: boolean): string {
  const { hsts } = model.settings
  if (!tls || !hsts) return ''
  return `${proxied ? '\n        proxy_hide_header  Strict-Transport-Security;' : ''}\n        add_header         Strict-Transport-Security "${hstsValue(hsts)}" always;`
}

/**
 * The route's header rules: request headers with proxy_set_header (an empty value is not sent),
 * response headers hidden from the app's answer and added on every answer (add_header … always).
 */
function headerLines(route: NginxSiteModel['routes'][number], proxied: boolean): string {
  const lines: string[] = []
  if (proxied) for (const e of route.headers.request) lines.push(`proxy_set_header   ${e.name} ${isRemoval(e) ? '""' : nginxQuote(e.value)};`)
  for (const e of route.headers.response) {
    if (proxied) lines.push(`proxy_hide_header  ${e.name};`)
    if (!isRemoval(e)) lines.push(`add_header         ${e.name} ${nginxQuote(e.value)} always;`)
  }
  return lines.map((l) => `\n        ${l}`).join('')
}

/**
 * proxy_cache as a shared cache like the built-in proxy's: what the app marks fresh is stored
 * (nginx already refuses no-store, private, no-cache and Set-Cookie answers), never for a request
 * with Authorization or a client's no-cache; Cache-Status says nginx's verdict.
 */
function cacheLines(model: NginxSiteModel): string {
  if (!model.settings.cache) return ''
  return [
    `proxy_cache        ${model.prefix}_cache;`,
    'proxy_cache_key    $scheme$host$request_uri;',
    `proxy_cache_bypass $http_authorization $${model.prefix}_client_nocache;`,
    `proxy_no_cache     $http_authorization $${model.prefix}_client_nocache;`,
    'add_header         Cache-Status "nginx; $upstream_cache_status" always;',
  ]
    .map((l) => `\n        ${l}`)
    .join('')
}

function location(model: NginxSiteModel, route: NginxSiteModel['routes'][number], tls: boolean): string {
  const { settings } = model
  if (route.staticDir) {
    const prefix = route.pathPrefix.endsWith('/') ? route.pathPrefix : `${route.pathPrefix}/`
    // No dotfile (but .well-known/) and no symbolic link below the folder, as the built-in proxy.
    return `    location ${nginxQuote(prefix)} {
        alias ${nginxQuote(route.staticDir.replace(/\/?$/, '/'))};
        disable_symlinks on from=$document_root;
        charset utf-8;${hstsLines(model, tls, false)}${headerLines(route, false)}
        location ~ /\\.(?!well-known/) { return 404; }
    }`
  }
  // The client's Host as it sent it, port included (the app builds URLs from it, as behind the built-in proxy);
  // on 443 a browser sends no port, so in production this is the Microsoft guide's $host.
  const host = '$http_host'
  const prefix = route.pathPrefix.replace(/\/+$/, '')
  // stripPrefix: /api → /, /api/x → /x.
  const strip = route.stripPrefix
    ? `\n        rewrite ^${regexEscape(prefix)}$ / break;\n        rewrite ^${regexEscape(prefix)}(/.*)$ $1 break;`
    : ''
  // A prefix matches itself and what is below it, never a longer name (/api is not /apix), as in every engine.
  const matches = route.pathPrefix === '/' || route.pathPrefix.endsWith('/') ? [nginxQuote(route.pathPrefix)] : [`= ${nginxQuote(route.pathPrefix)}`, nginxQuote(`${route.pathPrefix}/`)]
  return matches.map((match) => `    location ${match} {${strip}
        proxy_pass         http://${route.upstream};
        proxy_http_version 1.1;
        proxy_set_header   Upgrade $http_upgrade;
        proxy_set_header   Connection $connection_upgrade;
        proxy_set_header   Host ${host};
        proxy_cache_bypass $http_upgrade;
        proxy_set_header   X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header   X-Forwarded-Proto $scheme;
        # Set, never passed on: a client-sent X-Forwarded-Host would otherwise reach the app.
        proxy_set_header   X-Forwarded-Host ${host};
        proxy_set_header   traceparent ${traceparentVariable(model.prefix)};
        # Set by a stripPrefix route only; a client's is dropped (an empty value is not sent).
        proxy_set_header   X-Forwarded-Prefix ${route.stripPrefix ? nginxQuote(prefix) : '""'};${settings.loadBalancing === 'sticky' ? `\n        add_header         Set-Cookie ${stickyVariable(model)}_cookie always;` : ''}${settings.forwardedHeader ? `\n        proxy_set_header   Forwarded "for=$remote_addr;proto=$scheme;host=\\"${host}\\"";` : ''}
        proxy_connect_timeout ${ms(settings.timeouts.upstreamConnectMs)};
        proxy_read_timeout ${ms(settings.timeouts.upstreamResponseMs)};
        proxy_next_upstream error timeout http_502;${hstsLines(model, tls, true)}${headerLines(route, true)}${cacheLines(model)}
    }`).join('\n')
}

function serverBlock(model: NginxSiteModel, listen: string[], tls: boolean): string {
  const lines = ['server {', ...listen.map((l) => `    listen ${l}${tls ? ' ssl http2' : ''};`), `    server_name ${model.serverNames.join(' ')};`, '    server_tokens off;', '    # Redirects it makes keep the Location as written (a path), as the other engines.', '    absolute_redirect off;']
  if (!tls && model.redirectTo) return [...lines, `    return ${model.redirectTo.status} ${model.redirectTo.base}$request_uri;`, '}'].join('\n')
  if (tls && model.tls) lines.push('', `    ssl_certificate     ${nginxQuote(model.tls.certificateFile)};`, `    ssl_certificate_key ${nginxQuote(model.tls.keyFile)};`, '    ssl_protocols       TLSv1.2 TLSv1.3;')
  // Rewrites in order at server level, before the location is chosen; the first that matches ends them (last, return).
  for (const r of model.settings.rewrites ?? []) {
    if (r.redirect) lines.push(`    if ($uri ~ ${nginxRegex(r.match)}) {`, `        return ${r.redirect} ${nginxRegex(`${r.to}$is_args$args`)};`, '    }')
    else lines.push(`    rewrite ${nginxRegex(r.match)} ${nginxRegex(r.to)} last;`)
  }
  const { rateLimit } = model.settings
  if (rateLimit) {
    // Per client address, burst on top, refused at once (nodelay) with 429 and Retry-After, as the built-in proxy.
    lines.push(`    limit_req zone=${model.prefix}_rate burst=${rateLimit.burst} nodelay;`, '    limit_req_status 429;', `    error_page 429 @${model.prefix}_rate_limited;`)
    lines.push(`    location @${model.prefix}_rate_limited {`, `        add_header Retry-After ${Math.max(1, Math.ceil(1 / rateLimit.requestsPerSecond))} always;`, '        default_type text/plain;', `        return 429 "too many requests: over proxy.rateLimit (${rateLimit.requestsPerSecond}/s, burst ${rateLimit.burst})\\n";`, '    }')
  }
  // The stack's body limit, as every engine (0: none; nginx's own default, 1m, would refuse most uploads).
  lines.push(`    client_max_body_size ${model.settings.maxBodySize};`)
  if (model.settings.compression) lines.push('    gzip on;', '    gzip_vary on;', '    gzip_proxied any;', '    gzip_types text/plain text/css application/json application/javascript text/xml application/xml image/svg+xml;')
  lines.push('', ...model.routes.map((r) => location(model, r, tls)), '}')
  return lines.join('\n')
}

/** The WebSocket map, the upstreams and the server blocks: what goes inside `http { }` (or a sites-available file). */
export function renderNginxServers(model: NginxSiteModel): string {
  const rate = model.settings.rateLimit
  const { cache } = model.settings
  const cacheBlocks = cache
    ? [
        `proxy_cache_path ${nginxQuote(model.cacheDir ?? '/var/cache/nginx/aerie')} levels=1:2 keys_zone=${model.prefix}_cache:10m max_size=${cache.maxSizeMb}m inactive=60m use_temp_path=off;`,
        `map $http_cache_control $${model.prefix}_client_nocache {\n    "~*no-(cache|store)" 1;\n    default "";\n}`,
      ]
    : []
  const blocks = [...cacheBlocks, "map $http_upgrade $connection_upgrade {\n    default upgrade;\n    ''      '';\n}", ...(rate ? [`limit_req_zone $binary_remote_addr zone=${model.prefix}_rate:10m rate=${rate.requestsPerSecond}r/s;`] : []), traceMaps(model), ...(model.settings.loadBalancing === 'sticky' ? [stickyMaps(model)] : []), ...model.upstreams.map((u) => upstreamBlock(model, u))]
  // One server block per group of names that the same routes serve (routes limited by "hosts").
  const groups = hostGroups(model.serverNames, model.routes).map((g) => ({ ...model, serverNames: g.hostnames, routes: g.routes }))
  blocks.push(...groups.map((g) => serverBlock(g, model.httpListen, false)))
  if (model.httpsListen.length && model.tls) blocks.push(...groups.map((g) => serverBlock(g, model.httpsListen, true)))
  return `${blocks.join('\n\n')}\n`
}
