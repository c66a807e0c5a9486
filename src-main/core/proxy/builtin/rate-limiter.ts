/** Clients kept before full buckets are forgotten (a full bucket is the same as no entry). */
const MAX_CLIENTS = 10_000

/**
 * Per-client request rate, as nginx's limit_req with `burst` and `nodelay`: a bucket of
 * burst + 1 requests per client address, refilled at `perSecond`; a request finding it empty
 * is refused (429), with the seconds until the next request would pass.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  get capacity(): number {
    return this.burst + 1
  }

  take(client: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const bucket = this.buckets.get(client) ?? { tokens: this.capacity, at: now }
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond)
    bucket.at = now
    if (bucket.tokens < 1) {
      this.buckets.set(client, bucket)
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) }
    }
    bucket.tokens -= 1
    this.buckets.set(client, bucket)
    if (this.buckets.size > MAX_CLIENTS) this.forgetFull(now)
    return { ok: true }
  }

  private forgetFull(now: number): void {
    for (const [client, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.capacity) this.buckets.delete(client)
  }
}
