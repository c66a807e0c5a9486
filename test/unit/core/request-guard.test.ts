import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { checkHost, checkOrigin, tokenMatches } from '../../../src-main/server/request-guard.js'

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe('request guard', () => {
  it('accepts only loopback names on our port as Host', () => {
    expect(checkHost(req({ host: '127.0.0.1:4000' }), 4000)).toBeUndefined()
    expect(checkHost(req({ host: 'localhost:4000' }), 4000)).toBeUndefined()
    expect(checkHost(req({ host: 'evil.example:4000' }), 4000)).toMatch(/not this server/)
    expect(checkHost(req({ host: '127.0.0.1:4001' }), 4000)).toBeDefined()
  })

  it('accepts no Origin (CLI) or our own, refuses any other', () => {
    expect(checkOrigin(req({}), 4000)).toBeUndefined()
    expect(checkOrigin(req({ origin: 'http://127.0.0.1:4000' }), 4000)).toBeUndefined()
    expect(checkOrigin(req({ origin: 'http://evil.example' }), 4000)).toMatch(/may not use/)
    expect(checkOrigin(req({ origin: 'null' }), 4000)).toBeDefined()
  })

  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true)
    expect(tokenMatches('abd', 'abc')).toBe(false)
    expect(tokenMatches('ab', 'abc')).toBe(false)
    expect(tokenMatches(null, 'abc')).toBe(false)
  })
})
