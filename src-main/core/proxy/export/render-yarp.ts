import type { Stack } from '../../stacks/stack-schema.js'
import { isRemoval } from '../header-rules.js'
import { hstsValue } from '../proxy-driver.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/** A .NET TimeSpan in its constant format, `[d.]hh:mm:ss[.fff]`: 500 ms is 00:00:00.500, not 00:00:00 (which YARP refuses as an interval). */
export function timeSpan(ms: number): string {
  const days = Math.floor(ms / 86_400_000)
  const clock = new Date(ms % 86_400_000).toISOString().slice(11, 23).replace(/\.000$/, '')
  return days ? `${days}.${clock}` : clock
}

/**
 * The `ReverseProxy` section of a YARP app's appsettings.json: routes (the client's Host kept,
 * X-Forwarded-For appended, the other X-Forwarded-* set), clusters, destinations, health checks.
 * YARP serves no files: `StaticFolders` maps each static route's prefix to its folder, for the
 * host to serve with UseStaticFiles before MapReverseProxy (see the README).
 */
export function renderYarpSettings(stack: Stack, params: ExportParams): string {
  const { apps, routes } = productionModel(stack, params)
  const seconds = timeSpan
  const Routes = Object.fromEntries(
    routes
      .filter((r) => r.app)
      .map((r, i) => [
        `${r.app!.name}-${i + 1}`,
        {
          ClusterId: r.app!.name,
          // A route for some host names goes before one for all of them under the same path.
          ...(r.hosts ? { Order: -1 } : {}),
          Match: { Hosts: r.hosts ?? params.serverNames, Path: r.pathPrefix === '/' ? '/{**catch-all}' : `${r.pathPrefix.replace(/\/$/, '')}/{**catch-all}` },
          // X-Forwarded sets X-Forwarded-Prefix from PathBase (none here), dropping a client's; a stripPrefix route then sets its own.
          Transforms: [
            { RequestHeaderOriginalHost: 'true' },
            { 'X-Forwarded': 'Set', For: 'Append' },
            ...r.headers.request.map((e) => (isRemoval(e) ? { RequestHeaderRemove: e.name } : { RequestHeader: e.name, Set: e.value })),
            ...r.headers.response.map((e) => (isRemoval(e) ? { ResponseHeaderRemove: e.name, When: 'Always' } : { ResponseHeader: e.name, Set: e.value, When: 'Always' })),
            ...(stack.proxy.hsts ? [{ ResponseHeader: 'Strict-Transport-Security', Set: hstsValue(stack.proxy.hsts), When: 'Always' }] : []),
            ...(r.stripPrefix ? [{ PathRemovePrefix: r.pathPrefix.replace(/\/+$/, '') }, { RequestHeader: 'X-Forwarded-Prefix', Set: r.pathPrefix.replace(/\/+$/, '') }] : []),
          ],
          // The stack's body limit: 413 above it, as every engine (-1: none; YARP's default is the server's, 30000000 on Kestrel).
          MaxRequestBodySize: stack.proxy.maxBodySize || -1,
        },
      ]),
  )
  const Clusters = Object.fromEntries(
    apps.map((a) => [
      a.name,
      {
        LoadBalancingPolicy: stack.proxy.loadBalancing === 'least-connections' ? 'LeastRequests' : 'RoundRobin',
        ...(stack.proxy.loadBalancing === 'sticky' ? { SessionAffinity: { Enabled: true, Policy: 'Cookie', AffinityKeyName: '.Aerie.Affinity' } } : {}),
        HealthCheck: {
          ...(stack.proxy.healthCheck ? { Active: { Enabled: true, Interval: seconds(stack.proxy.healthCheck.intervalMs), Timeout: '00:00:02', Policy: 'ConsecutiveFailures', Path: stack.proxy.healthCheck.path } } : {}),
          Passive: { Enabled: true, Policy: 'TransportFailureRate', ReactivationPeriod: seconds(stack.proxy.ejection.ejectMs) },
        },
        HttpRequest: { ActivityTimeout: seconds(stack.proxy.timeouts.upstreamResponseMs) },
        Destinations: Object.fromEntries(a.ports.map((p, i) => [`${a.name}/${i + 1}`, { Address: `http://127.0.0.1:${p}/` }])),
      },
    ]),
  )
  // Keys are UseStaticFiles' RequestPath: no trailing slash, the root as "".
  const StaticFolders = Object.fromEntries(routes.filter((r) => r.staticDir).map((r) => [r.pathPrefix.replace(/\/+$/, ''), r.staticDir]))
  // YARP's config has no regular-expression rewrite: the file says what the host must add (Microsoft.AspNetCore.Rewrite).
  const NotRendered =
    stack.rewrites.length || stack.proxy.cache
      ? {
          ...(stack.rewrites.length ? { Rewrites: { Why: "YARP's config has no regex rewrite: add app.UseRewriter(new RewriteOptions()…) in the host with these rules, before MapReverseProxy", Rules: stack.rewrites } } : {}),
          ...(stack.proxy.cache ? { Cache: { Why: 'output caching is the host\'s: AddOutputCache() and UseOutputCache(), then an OutputCachePolicy on the routes', MaxSizeMb: stack.proxy.cache.maxSizeMb } } : {}),
        }
      : undefined
  return `${JSON.stringify({ ...(NotRendered ? { NotRendered } : {}), ReverseProxy: { Routes, Clusters }, ...(Object.keys(StaticFolders).length ? { StaticFolders } : {}) }, null, 2)}\n`
}
