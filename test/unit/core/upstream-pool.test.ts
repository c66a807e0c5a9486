import { describe, expect, it } from 'vitest'
import type { Upstream } from '../../../src-main/core/proxy/proxy-driver.js'
import { isAvailable, pickMember, recordFailure, stickyIdOf, type Member } from '../../../src-main/core/proxy/builtin/upstream-pool.js'
import type { ProcessState } from '../../../src-main/core/supervisor/managed-process.js'

const member = (id: string, state: ProcessState = 'running', extra: Partial<Member> = {}): Member => ({
  upstream: { id, host: '127.0.0.1', port: 1, state: () => state, problem: () => undefined } satisfies Upstream,
  inFlight: 0,
  failures: 0,
  ejectedUntil: 0,
  healthy: true,
  ...extra,
})

function picks(members: Member[], policy: 'round-robin' | 'least-connections' | 'sticky', n: number, options = {}): string[] {
  const out: string[] = []
  let counter = 0
  for (let i = 0; i < n; i++) {
    const { member: m, next } = pickMember(members, policy, counter, 1000, options)
    out.push(m?.upstream.id ?? '-')
    counter = next
  }
  return out
}

describe('upstream pool', () => {
  it('round-robins over available instances only', () => {
    expect(picks([member('a'), member('b', 'crashed'), member('c')], 'round-robin', 4)).toEqual(['a', 'c', 'a', 'c'])
    expect(picks([member('a', 'stopped')], 'round-robin', 1)).toEqual(['-'])
  })

  it('skips unhealthy, ejected and excluded instances', () => {
    const pool = [member('a', 'running', { healthy: false }), member('b', 'running', { ejectedUntil: 5000 }), member('c'), member('d')]
    expect(picks(pool, 'round-robin', 3, { exclude: new Set(['d']) })).toEqual(['c', 'c', 'c'])
    expect(isAvailable(pool[1], 6000)).toBe(true)
  })

  it('least-connections picks the instance with the fewest requests in flight', () => {
    const pool = [member('a', 'running', { inFlight: 3 }), member('b', 'running', { inFlight: 1 }), member('c', 'running', { inFlight: 2 })]
    expect(picks(pool, 'least-connections', 1)).toEqual(['b'])
  })

  it('sticky keeps the pinned instance while it is available, and falls back otherwise', () => {
    const pool = [member('a'), member('b')]
    expect(picks(pool, 'sticky', 3, { stickyId: 'b' })).toEqual(['b', 'b', 'b'])
    expect(picks([member('a'), member('b', 'crashed')], 'sticky', 2, { stickyId: 'b' })).toEqual(['a', 'a'])
    expect(stickyIdOf('x=1; aerie_upstream=web%232; y=2')).toBe('web#2')
    expect(stickyIdOf('x=1')).toBeUndefined()
  })

  it('ejects after N consecutive failures for the configured time', () => {
    const m = member('a')
    const ejection = { failures: 2, ejectMs: 500 }
    expect(recordFailure(m, ejection, 1000)).toBe(false)
    expect(recordFailure(m, ejection, 1000)).toBe(true)
    expect(isAvailable(m, 1200)).toBe(false)
    expect(isAvailable(m, 1500)).toBe(true)
  })
})

describe('panic mode', () => {
  it('when every running instance is ejected or unhealthy, still tries one rather than refuse all', () => {
    const pool = [member('a', 'running', { ejectedUntil: 99_999 }), member('b', 'running', { healthy: false }), member('c', 'crashed')]
    expect(picks(pool, 'round-robin', 2)).toEqual(['a', 'b'])
    expect(picks(pool, 'least-connections', 1)).toEqual(['a'])
    expect(picks([member('c', 'crashed')], 'round-robin', 1)).toEqual(['-'])
  })
})
