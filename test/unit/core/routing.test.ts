import { describe, expect, it } from 'vitest'
import type { ProxyPlan, Upstream } from '../../../src-main/core/proxy/proxy-driver.js'
import { hostMatches, hostnameOf, matchRoute, pickRoundRobin, servesHost } from '../../../src-main/core/proxy/routing.js'
import type { ProcessState } from '../../../src-main/core/supervisor/managed-process.js'

const upstream = (id: string, state: ProcessState = 'running'): Upstream => ({ id, host: '127.0.0.1', port: 1, state: () => state, problem: () => undefined })

const plan = (routes: ProxyPlan['routes']): ProxyPlan => ({ stackId: 's', listenHost: '127.0.0.1', httpPort: 80, hostnames: ['demo.localhost', '*.apps.test'], routes })

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

  it('round-robins over running instances and skips the others', () => {
    const pool = [upstream('a'), upstream('b', 'crashed'), upstream('c')]
    const picks: string[] = []
    let counter = 0
    for (let i = 0; i < 4; i++) {
      const { upstream: u, next } = pickRoundRobin(pool, counter)
      picks.push(u!.id)
      counter = next
    }
    expect(picks).toEqual(['a', 'c', 'a', 'c'])
    expect(pickRoundRobin([upstream('x', 'stopped')], 0).upstream).toBeUndefined()
  })
})
