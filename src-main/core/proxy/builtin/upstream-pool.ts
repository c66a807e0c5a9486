import type { ProxySettings, Upstream } from '../proxy-driver.js'

/** The cookie that pins a browser to one instance under the sticky policy. */
export const STICKY_COOKIE = 'aerie_upstream'

export interface Member {
  upstream: Upstream
  /** Requests in flight, for least-connections. */
  inFlight: number
  /** Consecutive connect failures, for passive ejection. */
  failures: number
  ejectedUntil: number
  /** Result of the last active health check (true until one fails). */
  healthy: boolean
}

export function isAvailable(m: Member, now: number): boolean {
  return m.upstream.state() === 'running' && m.healthy && m.ejectedUntil <= now
}

/**
 * Chooses an instance: the sticky one when the policy is sticky and it is available,
 * else by least connections (ties by order) or round robin, skipping `exclude`d ones.
 * Pure apart from the counter it returns.
 */
export function pickMember(
  members: readonly Member[],
  policy: ProxySettings['loadBalancing'],
  counter: number,
  now: number,
  options: { stickyId?: string; exclude?: ReadonlySet<string> } = {},
): { member?: Member; next: number } {
  const usable = (m: Member) => isAvailable(m, now) && !options.exclude?.has(m.upstream.id)
  if (policy === 'sticky' && options.stickyId) {
    const pinned = members.find((m) => m.upstream.id === options.stickyId)
    if (pinned && usable(pinned)) return { member: pinned, next: counter }
  }
  if (policy === 'least-connections') {
    let best: Member | undefined
    for (let i = 0; i < members.length; i++) {
      const m = members[(counter + i) % members.length]
      if (usable(m) && (!best || m.inFlight < best.inFlight)) best = m
    }
    if (best) return { member: best, next: counter + 1 }
  } else {
    for (let i = 0; i < members.length; i++) {
      const index = (counter + i) % members.length
      if (usable(members[index])) return { member: members[index], next: index + 1 }
    }
  }
  // Panic mode (as Envoy's): when every running instance is ejected or failing its health check,
  // trying one beats refusing everything.
  const running = members.filter((m) => m.upstream.state() === 'running' && !options.exclude?.has(m.upstream.id))
  if (running.length) return { member: running[counter % running.length], next: counter + 1 }
  return { next: counter }
}

/** A connect failure: after `failures` in a row the instance rests for `ejectMs`. */
export function recordFailure(m: Member, ejection: ProxySettings['ejection'], now: number): boolean {
  m.failures++
  if (m.failures < ejection.failures) return false
  m.ejectedUntil = now + ejection.ejectMs
  m.failures = 0
  return true
}

export function recordSuccess(m: Member): void {
  m.failures = 0
}

/** The sticky instance id from a Cookie header. */
export function stickyIdOf(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined
  for (const part of cookie.split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === STICKY_COOKIE) return decodeURIComponent(value.join('='))
  }
  return undefined
}
