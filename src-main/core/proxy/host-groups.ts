/**
 * A stack's host names grouped by the routes that apply to them (a route with `hosts` applies
 * to those names only): one nginx server block, Apache vhost or Caddy site per group. Without
 * any route limited to host names there is one group, every name with every route.
 */
export function hostGroups<R extends { hosts?: string[]; pathPrefix: string }>(hostnames: readonly string[], routes: readonly R[]): { hostnames: string[]; routes: R[] }[] {
  const groups = new Map<string, { hostnames: string[]; routes: R[] }>()
  for (const name of hostnames) {
    // A route for all names gives way to one for this name under the same prefix (as the built-in proxy's matchRoute).
    const applying = routes.filter((r) => (!r.hosts || r.hosts.includes(name)) && !(!r.hosts && routes.some((o) => o.hosts?.includes(name) && o.pathPrefix === r.pathPrefix)))
    const key = applying.map((r) => routes.indexOf(r)).join(',')
    const group = groups.get(key)
    if (group) group.hostnames.push(name)
    else groups.set(key, { hostnames: [name], routes: applying })
  }
  return [...groups.values()]
}
