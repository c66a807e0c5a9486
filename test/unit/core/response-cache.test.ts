import { describe, expect, it } from 'vitest'
import { ResponseCache, storability } from '../../../src-main/core/proxy/builtin/response-cache.js'

describe('the built-in response cache', () => {
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

  it('names what prevents storing', () => {
    expect(storability(200, { 'cache-control': 'private, max-age=60' })).toEqual({ detail: 'private' })
    expect(storability(200, { 'set-cookie': 'a=1', 'cache-control': 'max-age=60' })).toEqual({ detail: 'set-cookie' })
    expect(storability(200, {})).toEqual({ detail: 'no explicit freshness (max-age, s-maxage or Expires)' })
    expect(storability(200, { 'cache-control': 's-maxage=30, max-age=5' })).toEqual({ ttl: 30 })
  })
})
