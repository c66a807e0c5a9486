import { Pool } from 'undici'
import type { Upstream } from '../proxy-driver.js'

/**
 * Keep-alive connections to each app-server instance, one undici Pool per instance address.
 * undici's dispatch API is the forwarding core: it skips the ClientRequest/IncomingMessage streams
 * of http.request + pipe (docs/bench.md compares the two: "traces off" and the plain Node pipe proxy).
 */
export class UpstreamConnections {
  private readonly pools = new Map<string, Pool>()

  constructor(private connectTimeoutMs: number) {}

  get(upstream: Pick<Upstream, 'host' | 'port'>): Pool {
    const key = `${upstream.host}:${upstream.port}`
    let pool = this.pools.get(key)
    if (!pool) {
      const host = upstream.host.includes(':') ? `[${upstream.host}]` : upstream.host
      pool = new Pool(`http://${host}:${upstream.port}`, { connect: { timeout: this.connectTimeoutMs }, pipelining: 1 })
      this.pools.set(key, pool)
    }
    return pool
  }

  /** Closes the pools of addresses no longer in use (in-flight requests finish first); a new connect timeout starts fresh pools. */
  retain(upstreams: readonly Pick<Upstream, 'host' | 'port'>[], connectTimeoutMs: number): void {
    const keep = connectTimeoutMs === this.connectTimeoutMs ? new Set(upstreams.map((u) => `${u.host}:${u.port}`)) : new Set<string>()
    this.connectTimeoutMs = connectTimeoutMs
    for (const [key, pool] of this.pools) {
      if (keep.has(key)) continue
      this.pools.delete(key)
      void pool.close().catch(() => undefined)
    }
  }

  destroy(): void {
    for (const pool of this.pools.values()) void pool.destroy().catch(() => undefined)
    this.pools.clear()
  }
}
