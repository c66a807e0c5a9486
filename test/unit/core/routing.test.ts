import { describe, expect, it } from 'vitest'
import type { ProxyPlan } from '../../../src-main/core/proxy/proxy-driver.js'
import { hostGroups } from '../../../src-main/core/proxy/host-groups.js'
import { hostMatches, hostnameOf, matchRoute, servesHost } from '../../../src-main/core/proxy/routing.js'

const plan = (routes: ProxyPlan['routes']): ProxyPlan => ({ stackId: 's', listenHost: '127.0.0.1', httpPort: 80, hostnames: ['demo.localhost', '*.apps.test'], routes, settings: {} as ProxyPlan['settings'] })

describe('routing', () => {
  it('reads the host name from a Host header without its port', () => {
    expect(hostnameOf('Demo.Localhost:8080')).toBe('demo.localhost')
    expect(hostnameOf('[::1]:8080')).toBe('[::1]')
    expect(hostnameOf(undefined)).toBe('')
  })

  it('matches wildcards only below the named domain', () => {
    expect(hostMatches('*.apps.test', 'a.apps.test')).toBe(true)
    expect(hostMatches('*.apps.test', 'apps.test')).toBe(false)
    expect(hostMatches('*.apps.test', 'evilapps.test')).toBe(false)
    expect(servesHost(plan([]), 'x.apps.test')).toBe(true)
    expect(servesHost(plan([]), 'other.localhost')).toBe(false)
  })

  it('picks the longest matching path prefix, on segment boundaries', () => {
    const p = plan([
      { pathPrefix: '/', appServer: 'web', upstreams: [] },
      { pathPrefix: '/api', appServer: 'api', upstreams: [] },
    ])
    expect(matchRoute(p, '/api/users')?.appServer).toBe('api')
    expect(matchRoute(p, '/api')?.appServer).toBe('api')
    expect(matchRoute(p, '/apix')?.appServer).toBe('web')
    expect(matchRoute(plan([{ pathPrefix: '/api', appServer: 'api', upstreams: [] }]), '/other')).toBeUndefined()
  })
})

describe('routes limited to host names', () => {
  const routes = [
    { pathPrefix: '/', appServer: 'shop', upstreams: [] },
    { pathPrefix: '/', appServer: 'admin', hosts: ['admin.localhost'], upstreams: [] },
    { pathPrefix: '/api', appServer: 'api', upstreams: [] },
  ]
  it('a route for a name wins over one for all names under the same prefix, whatever the order', () => {
    const p = { ...plan(routes), hostnames: ['shop.localhost', 'admin.localhost'] }
    expect(matchRoute(p, '/', 'admin.localhost')?.appServer).toBe('admin')
    expect(matchRoute(p, '/', 'shop.localhost')?.appServer).toBe('shop')
    expect(matchRoute(p, '/api/x', 'admin.localhost')?.appServer).toBe('api')
    expect(matchRoute({ ...p, routes: [...routes].reverse() }, '/', 'admin.localhost')?.appServer).toBe('admin')
  })

  it('groups the names by the routes that serve them: one server block per group, no prefix twice', () => {
    const groups = hostGroups(['shop.localhost', 'admin.localhost', 'www.localhost'], routes)
    expect(groups.map((g) => [g.hostnames, g.routes.map((r) => r.appServer)])).toEqual([
      [['shop.localhost', 'www.localhost'], ['shop', 'api']],
      [['admin.localhost'], ['admin', 'api']],
    ])
  })
})
