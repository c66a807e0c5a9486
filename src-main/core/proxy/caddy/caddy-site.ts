import { isRemoval, type HeaderEffects } from '../header-rules.js'
import { hstsValue, type ProxySettings } from '../proxy-driver.js'
import { STICKY_COOKIE } from '../builtin/upstream-pool.js'
import { caddyQuote, caddyRegex } from '../config-quoting.js'

/**
 * What Caddy serves for one stack, local or production alike: the supervised Caddy
 * (caddy-config.ts) and the production export (export/render-caddyfile.ts) both render this
 * model through renderCaddySites, so the two cannot drift.
 */
export interface CaddySiteModel {
  /** One site block per entry: its addresses (`http://app.localhost:8080`, or `example.com` for automatic HTTPS). */
  sites: { addresses: string[]; scheme: 'http' | 'https'; redirectTo?: string }[]
  bind?: string
  tls?: { certificateFile: string; keyFile: string }
  accessLog?: string
  routes: { pathPrefix: string; hosts?: string[]; stripPrefix: boolean; headers: { request: HeaderEffects; response: HeaderEffects }; servers?: string[]; staticDir?: string }[]
  /** Local only: name the instance in a response header, the one place Caddy 2.6's access log can show it (for traces). */
  exposeUpstream?: boolean
  settings: Pick<ProxySettings, 'loadBalancing' | 'ejection' | 'timeouts' | 'compression' | 'forwardedHeader' | 'healthCheck' | 'maxBodySize' | 'hsts' | 'rewrites'>
}

/** A duration in Caddy syntax. */
export const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`

/** The response header that carries the instance to the access log (Caddy 2.6 logs no upstream otherwise). */
export const UPSTREAM_HEADER = 'X-Aerie-Upstream'

/** `prefix`: the X-Forwarded-Prefix a stripPrefix route sends; without it a client's is dropped. */
function reverseProxy(servers: string[], settings: CaddySiteModel['settings'], exposeUpstream: boolean, prefix: string | undefined, headers: CaddySiteModel['routes'][number]['headers']): string[] {
  const policy = settings.loadBalancing === 'least-connections' ? 'least_conn' : settings.loadBalancing === 'sticky' ? `cookie ${STICKY_COOKIE}` : 'round_robin'
  return [
    `reverse_proxy ${servers.join(' ')} {`,
    `  lb_policy ${policy}`,
    // Retry on another instance and eject a failing one, as the built-in proxy does.
    `  lb_try_duration ${ms(settings.timeouts.upstreamConnectMs)}`,
    `  fail_duration ${ms(settings.ejection.ejectMs)}`,
    `  max_fails ${settings.ejection.failures}`,
    ...(settings.healthCheck ? [`  health_uri ${caddyQuote(settings.healthCheck.path)}`, `  health_interval ${ms(settings.healthCheck.intervalMs)}`] : []),
    prefix ? `  header_up X-Forwarded-Prefix ${caddyQuote(prefix)}` : '  header_up -X-Forwarded-Prefix',
    ...headers.request.map((e) => (isRemoval(e) ? `  header_up -${e.name}` : `  header_up ${e.name} ${caddyQuote(e.value)}`)),
    ...headers.response.map((e) => (isRemoval(e) ? `  header_down -${e.name}` : `  header_down ${e.name} ${caddyQuote(e.value)}`)),
    ...(settings.forwardedHeader ? ['  header_up Forwarded "for={remote_host};proto={scheme};host=\\"{host}\\""'] : []),
    ...(exposeUpstream ? [`  header_down ${UPSTREAM_HEADER} {http.reverse_proxy.upstream.hostport}`] : []),
    '  transport http {',
    `    dial_timeout ${ms(settings.timeouts.upstreamConnectMs)}`,
    `    response_header_timeout ${ms(settings.timeouts.upstreamResponseMs)}`,
    '  }',
    '}',
  ]
}

function handlers(model: CaddySiteModel): string[] {
  // Longest prefix first, and a route limited to some host names before one for all of them (named matchers keep this order).
  const ordered = [...model.routes].sort((a, b) => b.pathPrefix.length - a.pathPrefix.length || Number(Boolean(b.hosts)) - Number(Boolean(a.hosts)))
  return ordered.flatMap((route, i) => {
    const prefix = route.pathPrefix.replace(/\/$/, '')
    const matcher = route.pathPrefix === '/' && !route.hosts ? '' : `@route${i}`
    const conditions = [...(route.hosts ? [`host ${route.hosts.map(caddyQuote).join(' ')}`] : []), ...(route.pathPrefix === '/' ? [] : [`path ${caddyQuote(prefix)} ${caddyQuote(`${prefix}/*`)}`])]
    const body = route.staticDir
      ? // No dotfile (but Caddy hides .well-known/ too), as the built-in proxy.
        [
          ...(route.pathPrefix !== '/' ? [`uri strip_prefix ${caddyQuote(prefix)}`] : []),
          ...route.headers.response.filter((e) => !isRemoval(e)).map((e) => `header ${e.name} ${caddyQuote((e as { value: string }).value)}`),
          `root * ${caddyQuote(route.staticDir)}`,
          'file_server {',
          '  hide .*',
          '}',
        ]
      : [...(route.stripPrefix ? [`uri strip_prefix ${caddyQuote(prefix)}`] : []), ...reverseProxy(route.servers ?? [], model.settings, model.exposeUpstream ?? false, route.stripPrefix ? prefix : undefined, route.headers)]
    const define = conditions.length === 1 ? [`${matcher} ${conditions[0]}`] : [`${matcher} {`, ...conditions.map((c) => `  ${c}`), '}']
    return [...(matcher ? define : []), `handle${matcher ? ` ${matcher}` : ''} {`, ...body.map((l) => `  ${l}`), '}']
  })
}

/**
 * The rewrites in order; the first that matches ends them: an internal one marks the request as
 * it rewrites, and the next ones skip a marked request. $1 becomes Caddy's {re.<name>.1}.
 */
function rewriteLines(rewrites: NonNullable<ProxySettings['rewrites']>): string[] {
  return rewrites.flatMap((r, i) => {
    const name = `rw${i}`
    const to = r.to.replace(/\$(\d)/g, `{re.${name}.$1}`)
    return [
      `@${name} {`,
      `  path_regexp ${name} ${caddyRegex(r.match)}`,
      '  not vars aerie_rewritten yes',
      '}',
      // One matcher for both: the mark, then the rewrite (a second match would see the mark, or the new path);
      // `*`: a first argument starting with / would be read as a path matcher.
      // Caddy 2.6 has no {?query}: a redirect with a query string gets its own matcher.
      ...(r.redirect
        ? [`@${name}q {`, `  path_regexp ${name} ${caddyRegex(r.match)}`, '  not vars aerie_rewritten yes', `  expression "{query} != ''"`, '}', `redir @${name}q ${caddyRegex(`${to}?{query}`)} ${r.redirect}`, `redir @${name} ${caddyRegex(to)} ${r.redirect}`]
        : [`route @${name} {`, '  vars aerie_rewritten yes', `  rewrite * ${caddyRegex(to)}`, '}']),
    ]
  })
}

function site(model: CaddySiteModel, s: CaddySiteModel['sites'][number]): string {
  const lines = [...(model.bind ? [`bind ${model.bind}`] : [])]
  if (s.scheme === 'https' && model.tls) lines.push(`tls ${caddyQuote(model.tls.certificateFile)} ${caddyQuote(model.tls.keyFile)}`)
  if (model.accessLog) lines.push('log {', `  output file ${caddyQuote(model.accessLog)}`, '  format json', '}')
  if (s.redirectTo) lines.push(`redir ${s.redirectTo}{uri} 308`)
  else {
    // The stack's body limit (0: none), as every engine: 413 above it.
    if (model.settings.maxBodySize) lines.push('request_body {', `  max_size ${model.settings.maxBodySize}`, '}')
    // Deferred: set on the way out, over the app's own, as every engine.
    if (s.scheme === 'https' && model.settings.hsts) lines.push('header {', '  defer', `  Strict-Transport-Security ${caddyQuote(hstsValue(model.settings.hsts))}`, '}')
    lines.push(...(model.settings.compression ? ['encode zstd gzip'] : []))
    const rewrites = model.settings.rewrites ?? []
    // With rewrites, one route block keeps the written order (Caddy would sort redir before rewrite, and both before handle).
    if (rewrites.length) lines.push('route {', ...[...rewriteLines(rewrites), ...handlers(model)].map((l) => `  ${l}`), '}')
    else lines.push(...handlers(model))
  }
  return `${s.addresses.join(', ')} {\n${lines.map((l) => `  ${l}`).join('\n')}\n}`
}

/** The site blocks of one stack (the global options block is the caller's), indented with tabs as `caddy fmt` does. */
export function renderCaddySites(model: CaddySiteModel): string {
  return `${model.sites.map((s) => site(model, s)).join('\n')}\n`.replace(/^((?: {2})+)/gm, (indent) => '\t'.repeat(indent.length / 2))
}
