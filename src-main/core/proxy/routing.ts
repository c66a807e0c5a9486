import type { ProxyPlan } from './proxy-driver.js'

/** The host name of a Host header, lowercased, without its port. */
export function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return ''
  const h = hostHeader.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1)
  const colon = h.lastIndexOf(':')
  return colon === -1 ? h : h.slice(0, colon)
}

/** Exact match, or `*.example.test` matching any name below example.test. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1
  return pattern === host
}

export function servesHost(plan: ProxyPlan, host: string): boolean {
  return plan.hostnames.some((p) => hostMatches(p, host))
}

/** The route whose path prefix is the longest match for `path`, among the routes for `host` (all, when a route names no hosts), or undefined. */
export function matchRoute(plan: ProxyPlan, path: string, host?: string): ProxyPlan['routes'][number] | undefined {
  let best: ProxyPlan['routes'][number] | undefined
  for (const route of plan.routes) {
    if (route.hosts && host !== undefined && !route.hosts.some((p) => hostMatches(p, host))) continue
    const prefix = route.pathPrefix
    const matches = path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`) || prefix === '/'
    // The longest prefix; of two equal ones, the route limited to host names (it is the more specific).
    if (matches && (!best || prefix.length > best.pathPrefix.length || (prefix.length === best.pathPrefix.length && route.hosts && !best.hosts))) best = route
  }
  return best
}
