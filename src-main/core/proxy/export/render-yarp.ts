import type { Stack } from '../../stacks/stack-schema.js'
import { isRemoval } from '../header-rules.js'
import { hstsValue } from '../proxy-driver.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'
import { YARP_AFFINITY_COOKIE } from './yarp-host-program.js'

/** A .NET TimeSpan in its constant format, `[d.]hh:mm:ss[.fff]`: 500 ms is 00:00:00.500, not 00:00:00 (which YARP refuses as an interval). */
export function timeSpan(ms: number): string {
  const days = Math.floor(ms / 86_400_000)
  const clock = new Date(ms % 86_400_000).toISOString().slice(11, 23).replace(/\.000$/, '')
  return days ? `${days}.${clock}` : clock
}

/**
 * The `ReverseProxy` section of a YARP app's appsettings.json: routes (the client's Host kept,
 * X-Forwarded-For appended, the other X-Forwarded-* set), clusters, destinations, health checks.
 * YARP serves no files: `StaticRoutes` lists each static route's prefix, folder, host names and
 * response header rules; it, `Hsts`, `HttpsRedirect`, `ResponseCompression`, `RateLimit`,
 * `Rewrites` and `OutputCache` are read by the exported host (yarp-host-program.ts).
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
        ...(stack.proxy.loadBalancing === 'sticky' ? { SessionAffinity: { Enabled: true, Policy: 'Cookie', AffinityKeyName: YARP_AFFINITY_COOKIE } } : {}),
        HealthCheck: {
          ...(stack.proxy.healthCheck ? { Active: { Enabled: true, Interval: seconds(stack.proxy.healthCheck.intervalMs), Timeout: '00:00:02', Policy: 'ConsecutiveFailures', Path: stack.proxy.healthCheck.path } } : {}),
          Passive: { Enabled: true, Policy: 'TransportFailureRate', ReactivationPeriod: seconds(stack.proxy.ejection.ejectMs) },
        },
        HttpRequest: { ActivityTimeout: seconds(stack.proxy.timeouts.upstreamResponseMs) },
        Destinations: Object.fromEntries(a.ports.map((p, i) => [`${a.name}/${i + 1}`, { Address: `http://127.0.0.1:${p}/` }])),
      },
    ]),
  )
  // Path is UseStaticFiles' RequestPath: no trailing slash, the root as "". The route's response header rules go with it.
  const StaticRoutes = routes
    .filter((r) => r.staticDir)
    .map((r) => ({
      Path: r.pathPrefix.replace(/\/+$/, ''),
      Folder: r.staticDir,
      ...(r.hosts ? { Hosts: r.hosts } : {}),
      ...(r.headers.response.length ? { ResponseHeaders: r.headers.response.map((e) => (isRemoval(e) ? { Remove: e.name } : { Set: e.name, Value: e.value })) } : {}),
    }))
  // What YARP's config cannot say, for the exported host (yarp-host-program.ts) to apply with ASP.NET Core's middleware.
  const Rewrites = stack.rewrites.map((r) => ({ Match: r.match, To: r.to, ...(r.redirect ? { Redirect: r.redirect } : {}) }))
  const duties = {
    HttpsRedirect: { StatusCode: 301, HttpsPort: params.httpsPort },
    ...(stack.proxy.hsts ? { Hsts: hstsValue(stack.proxy.hsts) } : {}),
    ...(stack.proxy.compression ? { ResponseCompression: true } : {}),
    ...(stack.proxy.rateLimit ? { RateLimit: { RequestsPerSecond: stack.proxy.rateLimit.requestsPerSecond, Burst: stack.proxy.rateLimit.burst } } : {}),
    ...(Rewrites.length ? { Rewrites } : {}),
    ...(stack.proxy.cache ? { OutputCache: { MaxSizeMb: stack.proxy.cache.maxSizeMb } } : {}),
  }
  return `${JSON.stringify({ ReverseProxy: { Routes, Clusters }, ...(StaticRoutes.length ? { StaticRoutes } : {}), ...duties }, null, 2)}\n`
}
