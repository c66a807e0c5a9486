import { describe, expect, it } from 'vitest'
import { nextTraceparent, upstreamRequestHeaders, withoutHopByHop } from '../../../src-main/core/proxy/builtin/forwarded-headers.js'

describe('forwarded headers', () => {
  it('drops hop-by-hop headers, including those the Connection header names', () => {
    const out = withoutHopByHop({ connection: 'keep-alive, x-secret-hop', 'keep-alive': 'timeout=5', 'x-secret-hop': '1', 'transfer-encoding': 'chunked', accept: 'text/html' })
    expect(out).toEqual({ accept: 'text/html' })
  })

  it('keeps Host, appends X-Forwarded-For and sets proto and host', () => {
    const out = upstreamRequestHeaders({ host: 'demo.localhost:8080', 'x-forwarded-for': '10.0.0.1' }, '127.0.0.1', 'http', 'tp')
    expect(out.host).toBe('demo.localhost:8080')
    expect(out['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1')
    expect(out['x-forwarded-proto']).toBe('http')
    expect(out['x-forwarded-host']).toBe('demo.localhost:8080')
    expect(out.traceparent).toBe('tp')
  })

  it('continues a valid trace with a new span, and starts one otherwise', () => {
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const kept = nextTraceparent(incoming)
    expect(kept.traceId).toBe('0af7651916cd43dd8448eb211c80319c')
    expect(kept.header).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/)
    expect(kept.header).not.toBe(incoming)
    for (const bad of [undefined, 'garbage', '00-00000000000000000000000000000000-b7ad6b7169203331-01']) {
      const fresh = nextTraceparent(bad)
      expect(fresh.header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(fresh.traceId).not.toMatch(/^0+$/)
    }
  })
})
