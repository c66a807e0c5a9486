import type { IncomingHttpHeaders } from 'node:http'

/** The name the built-in proxy gives itself in Cache-Status (RFC 9211). */
export const CACHE_NAME = 'Aerie'
/** A response larger than this share of the cache is passed through, not stored. */
const MAX_ENTRY_SHARE = 8

/** Status codes a shared cache may store with explicit freshness (RFC 9110 §15.1 "heuristically cacheable" ones, 206 aside). */
const STORABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501])

export interface CachedResponse {
  status: number
  headers: Record<string, string | string[]>
  body: Buffer
  storedAt: number
  /** Freshness lifetime, seconds. */
  ttl: number
  /** The request headers named by Vary, lowercased, with the values the stored response was made for. */
  vary: [string, string][]
  /** The body compressed for clients that accept it, made on the first hit that needs it. */
  encoded?: Partial<Record<'br' | 'gzip', Buffer>>
}

/** What an entry holds in memory: its body and the compressed copies made of it. */
const sizeOf = (v: CachedResponse) => v.body.length + (v.encoded?.br?.length ?? 0) + (v.encoded?.gzip?.length ?? 0)

type Headers = Record<string, string | string[] | undefined>

/** Shared by every header without directives (most requests have no Cache-Control): read only. */
const NO_DIRECTIVES: ReadonlyMap<string, string | true> = new Map()

function directives(value: string | string[] | undefined): ReadonlyMap<string, string | true> {
  if (value === undefined) return NO_DIRECTIVES
  const out = new Map<string, string | true>()
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const [name, ...rest] = part.trim().split('=')
    if (name) out.set(name.toLowerCase(), rest.length ? rest.join('=').replace(/^"|"$/g, '') : true)
  }
  return out
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v)

/** Why a request does not use the cache (a Cache-Status `fwd` and detail), or undefined when it may. */
export function requestBypass(method: string | undefined, headers: IncomingHttpHeaders): { fwd: string; detail?: string } | undefined {
  if (method !== 'GET' && method !== 'HEAD') return { fwd: 'method' }
  if (headers.authorization) return { fwd: 'bypass', detail: 'authorization' }
  if (headers['cache-control'] === undefined && headers.pragma === undefined) return undefined
  const cc = directives(headers['cache-control'])
  if (cc.has('no-store') || cc.has('no-cache') || /no-cache/i.test(one(headers.pragma) ?? '')) return { fwd: 'request', detail: cc.has('no-store') ? 'no-store' : 'no-cache' }
  return undefined
}

/** Response directives that keep a shared cache from storing it, in the order Cache-Status names them. */
const FORBIDDING = ['no-store', 'private', 'no-cache']

const seconds = (v: string | true | undefined) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined)

/**
 * Whether a response may be stored by a shared cache (RFC 9111 §3, heuristic freshness off), and
 * for how long; else the directive or header that prevents it, for Cache-Status and the trace.
 */
export function storability(status: number, headers: Headers, now = Date.now()): { ttl: number } | { detail: string } {
  if (!STORABLE_STATUS.has(status)) return { detail: `status ${status}` }
  const cc = directives(headers['cache-control'])
  for (const d of FORBIDDING) if (cc.has(d)) return { detail: d }
  if (headers['set-cookie'] !== undefined) return { detail: 'set-cookie' }
  if (one(headers.vary)?.split(',').some((v) => v.trim() === '*')) return { detail: 'vary-star' }
  const ttl =
    seconds(cc.get('s-maxage')) ??
    seconds(cc.get('max-age')) ??
    (() => {
      const expires = one(headers.expires)
      if (!expires) return undefined
      const at = Date.parse(expires)
      const date = Date.parse(one(headers.date) ?? '') || now
      return Number.isNaN(at) ? 0 : Math.max(0, Math.floor((at - date) / 1000))
    })()
  if (ttl === undefined) return { detail: 'no explicit freshness (max-age, s-maxage or Expires)' }
  if (ttl === 0) return { detail: 'stale on arrival (max-age=0 or a past Expires)' }
  return { ttl }
}

/**
 * Complete responses in memory, least recently used out first, bounded by size. Never a partial
 * or errored body: an entry is added only once the whole body arrived.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse[]>()
  private bytes = 0
  /** The key used last: asked again (the common case), it is already last in the order. */
  private newest?: string

  constructor(readonly maxBytes: number) {}

  get maxEntryBytes(): number {
    return Math.floor(this.maxBytes / MAX_ENTRY_SHARE)
  }

  /** A fresh response for the request, or why not (`uri-miss`, `vary-miss`, `stale`). */
  lookup(key: string, headers: IncomingHttpHeaders, now = Date.now()): { hit: CachedResponse } | { fwd: 'uri-miss' | 'vary-miss' | 'stale' } {
    const variants = this.entries.get(key)
    if (!variants) return { fwd: 'uri-miss' }
    const match = variants.find((v) => v.vary.every(([name, value]) => (one(headers[name]) ?? '') === value))
    if (!match) return { fwd: 'vary-miss' }
    if ((now - match.storedAt) / 1000 >= match.ttl) return { fwd: 'stale' }
    // Most recently used last.
    if (key !== this.newest) {
      this.entries.delete(key)
      this.entries.set(key, variants)
      this.newest = key
    }
    return { hit: match }
  }

  store(key: string, requestHeaders: IncomingHttpHeaders, response: Omit<CachedResponse, 'vary'>): void {
    const size = response.body.length + JSON.stringify(response.headers).length
    if (size > this.maxEntryBytes) return
    const names = (one(response.headers.vary) ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean)
    const entry: CachedResponse = { ...response, vary: names.map((n) => [n, one(requestHeaders[n]) ?? '']) }
    const variants = (this.entries.get(key) ?? []).filter((v) => JSON.stringify(v.vary) !== JSON.stringify(entry.vary))
    this.remove(key)
    this.entries.set(key, [...variants, entry])
    this.newest = key
    this.bytes += [...variants, entry].reduce((n, v) => n + sizeOf(v), 0)
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.remove(oldest)
    }
  }

  /** `entry`'s body in `encoding`, compressed once (and counted in the cache's size), not on every hit. */
  encodedBody(entry: CachedResponse, encoding: 'br' | 'gzip', encode: (body: Buffer) => Buffer): Buffer {
    const done = entry.encoded?.[encoding]
    if (done) return done
    const body = encode(entry.body)
    ;(entry.encoded ??= {})[encoding] = body
    this.bytes += body.length
    return body
  }

  /** Drops everything under a path prefix of one host (all when no prefix); returns how many entries went. */
  purge(prefix?: string): number {
    let n = 0
    for (const key of [...this.entries.keys()]) {
      if (prefix && !key.split(' ')[1]?.startsWith(prefix)) continue
      n += this.entries.get(key)!.length
      this.remove(key)
    }
    return n
  }

  private remove(key: string): void {
    for (const v of this.entries.get(key) ?? []) this.bytes -= sizeOf(v)
    this.entries.delete(key)
  }
}

/** The Cache-Status of answers that were not stored, by `fwd` and detail: the same few on every miss, built once. */
const notStored = new Map<string, Map<string, string>>()

/** `Aerie; fwd=uri-miss; detail="…"` for an answer the cache did not store. */
export function notStoredStatus(fwd: string, detail: string): string {
  let byDetail = notStored.get(fwd)
  if (!byDetail) notStored.set(fwd, (byDetail = new Map()))
  let value = byDetail.get(detail)
  if (value === undefined) {
    value = cacheStatus({ fwd, detail })
    // Bounded: details are fixed texts and status codes, but a bound costs nothing.
    if (byDetail.size < 256) byDetail.set(detail, value)
  }
  return value
}

/** One Cache-Status entry (RFC 9211): `Aerie; hit; ttl=42` or `Aerie; fwd=miss; stored`. */
export function cacheStatus(parts: { hit?: boolean; ttl?: number; fwd?: string; stored?: boolean; detail?: string }): string {
  // Concatenated, not an array joined: it is written on every response that goes through a cache.
  let value = CACHE_NAME
  if (parts.hit) value += '; hit'
  if (parts.fwd) value += `; fwd=${parts.fwd}`
  if (parts.ttl !== undefined) value += `; ttl=${parts.ttl}`
  if (parts.stored) value += '; stored'
  if (parts.detail) value += `; detail="${parts.detail.replace(/["\\]/g, '')}"`
  return value
}
