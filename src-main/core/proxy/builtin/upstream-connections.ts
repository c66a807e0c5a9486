import type { Upstream } from '../proxy-driver.js'
import { Http1Pool } from './http1-client.js'

/** Keep-alive connections to each app-server instance, one pool per instance address (http1-client.ts). */
export class UpstreamConnections {
  private readonly pools = new Map<string, Http1Pool>()

  constructor(private connectTimeoutMs: number) {}

  get(upstream: Pick<Upstream, 'host' | 'port'>): Http1Pool {
    const key = `${upstream.host}:${upstream.port}`
    let pool = this.pools.get(key)
    if (!pool) {
      pool = new Http1Pool(upstream.host, upstream.port, this.connectTimeoutMs)
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
      void pool.close()
    }
  }

  destroy(): void {
    for (const pool of this.pools.values()) void pool.destroy()
    this.pools.clear()
  }
}
