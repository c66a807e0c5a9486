import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/** The `ReverseProxy` section of a YARP app's appsettings.json: routes, clusters, destinations, health checks. */
export function renderYarpSettings(stack: Stack, params: ExportParams): string {
  const { apps, routes } = productionModel(stack, params)
  const seconds = (ms: number) => new Date(ms).toISOString().slice(11, 19)
  const Routes = Object.fromEntries(
    routes
      .filter((r) => r.app)
      .map((r, i) => [
        `${r.app!.name}-${i + 1}`,
        { ClusterId: r.app!.name, Match: { Hosts: params.serverNames, Path: r.pathPrefix === '/' ? '/{**catch-all}' : `${r.pathPrefix.replace(/\/$/, '')}/{**catch-all}` } },
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
  return `${JSON.stringify({ ReverseProxy: { Routes, Clusters } }, null, 2)}\n`
}
