import { describe, expect, it } from 'vitest'
import type { ProxySettings } from '../../../src-main/core/proxy/proxy-driver.js'
import { cacheHit } from '../../../src-main/core/proxy/builtin/cache-hit.js'
import { ResponseCache, storability } from '../../../src-main/core/proxy/builtin/response-cache.js'
import type { ProxyRequest } from '../../../src-main/core/proxy/builtin/upstream-exchange.js'

const SETTINGS = { compression: true, traceSecrets: false } as ProxySettings
const request = (acceptEncoding?: string, method = 'GET') => ({ method, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }) as unknown as ProxyRequest

describe('the built-in response cache', () => {
  it('evicts the least recently used answer first, a hit counting as a use', () => {
    // Room for eight 1,000-byte answers (an entry may take up to an eighth of the cache).
    const cache = new ResponseCache(8_100)
    const put = (key: string) => cache.store(key, {}, { status: 200, headers: {}, body: Buffer.alloc(1_000), storedAt: Date.now(), ttl: 60 })
    const has = (key: string) => 'hit' in cache.lookup(key, {})
    for (const k of 'abcdefgh') put(`h /${k}`)
    expect(has('h /a')).toBe(true)
    expect(has('h /a')).toBe(true)
    put('h /i')
    expect(has('h /b')).toBe(false)
    // /a was asked after /i was stored: of the two, /i goes first.
    expect(has('h /a')).toBe(true)
    for (const k of 'jklmnop') put(`h /${k}`)
    expect([has('h /c'), has('h /h'), has('h /i'), has('h /a'), has('h /j'), has('h /p')]).toEqual([false, false, false, true, true, true])
  })

  it('compresses a stored body once per encoding, not on every hit', () => {
    const cache = new ResponseCache(1024 * 1024)
    cache.store('h /a', {}, { status: 200, headers: { 'cache-control': 'max-age=60' }, body: Buffer.from('x'.repeat(2000)), storedAt: Date.now(), ttl: 60 })
    const found = cache.lookup('h /a', {})
    if (!('hit' in found)) throw new Error('expected a hit')
    let calls = 0
    const encode = (b: Buffer) => (calls++, b.subarray(0, 10))
    expect(cache.encodedBody(found.hit, 'gzip', encode)).toBe(cache.encodedBody(found.hit, 'gzip', encode))
    expect(calls).toBe(1)
  })

  it('works out a hit per kind of request once, and each hit still has its own Age and the route\'s current headers', () => {
    const cache = new ResponseCache(1024 * 1024)
    const entry = { status: 200, headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }, body: Buffer.from('y'.repeat(4000)), storedAt: Date.now() - 5_000, ttl: 60, vary: [] as [string, string][] }
    const conn = { proto: 'http' as const, host: 'h' }
    const route = { appServer: 'web', pathPrefix: '/', headers: { request: [], response: [{ name: 'x-route', value: 'one' }] } } as never
    const plain = cacheHit(entry, cache, request(), conn, route, SETTINGS)
    expect(plain.body).toBe(entry.body)
    expect(plain.headers).toMatchObject({ 'content-length': '4000', age: '5', 'cache-status': 'Aerie; hit; ttl=55', 'x-route': 'one' })
    const gzip = cacheHit(entry, cache, request('gzip'), conn, route, SETTINGS)
    expect(gzip.headers['content-encoding']).toBe('gzip')
    expect(gzip.body.length).toBeLessThan(200)
    expect(gzip.headers['content-length']).toBe(String(gzip.body.length))
    expect(cacheHit(entry, cache, request('gzip'), conn, route, SETTINGS).body).toBe(gzip.body)
    entry.storedAt -= 2_000
    expect(cacheHit(entry, cache, request(), conn, route, SETTINGS).traced).toMatchObject({ age: '7', 'cache-status': 'Aerie; hit; ttl=53' })
    const head = cacheHit(entry, cache, request(undefined, 'HEAD'), conn, route, SETTINGS)
    expect(head.body.length).toBe(0)
    expect(head.headers['content-length']).toBe('4000')
    const edited = { appServer: 'web', pathPrefix: '/', headers: { request: [], response: [{ name: 'x-route', value: 'two' }] } } as never
    expect(cacheHit(entry, cache, request(), conn, edited, SETTINGS).headers['x-route']).toBe('two')
    expect(cacheHit(entry, cache, request(), { ...conn, proto: 'https' }, route, { ...SETTINGS, hsts: { maxAgeSeconds: 60, includeSubDomains: false } }).headers['strict-transport-security']).toBe('max-age=60')
  })

  it('names what prevents storing', () => {
    expect(storability(200, { 'cache-control': 'private, max-age=60' })).toEqual({ detail: 'private' })
    expect(storability(200, { 'set-cookie': 'a=1', 'cache-control': 'max-age=60' })).toEqual({ detail: 'set-cookie' })
    expect(storability(200, {})).toEqual({ detail: 'no explicit freshness (max-age, s-maxage or Expires)' })
    expect(storability(200, { 'cache-control': 's-maxage=30, max-age=5' })).toEqual({ ttl: 30 })
  })
})
