import http from 'node:http'
import type { Member } from './upstream-pool.js'

/** A health probe that takes longer than this (or the interval, if shorter) counts as a failure. */
const HEALTH_PROBE_TIMEOUT_MS = 2_000

/** Active health checks: GET `path` on each instance every `intervalMs`; `healthy` follows the answers. */
export class HealthChecker {
  private timer?: NodeJS.Timeout

  watch(members: Member[], check: { path: string; intervalMs: number } | undefined): void {
    this.stop()
    if (!check) {
      for (const m of members) m.healthy = true
      return
    }
    const timeout = Math.min(HEALTH_PROBE_TIMEOUT_MS, check.intervalMs)
    const probe = (m: Member) => {
      if (m.upstream.state() !== 'running') return
      const req = http.get({ host: m.upstream.host, port: m.upstream.port, path: check.path, timeout, agent: false, headers: { 'user-agent': 'aerie-health-check' } }, (res) => {
        res.resume()
        m.healthy = (res.statusCode ?? 500) < 400
      })
      req.on('timeout', () => req.destroy(new Error('timeout')))
      req.on('error', () => (m.healthy = false))
    }
    this.timer = setInterval(() => members.forEach(probe), check.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }
}
