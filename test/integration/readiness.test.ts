import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { waitUntilReady } from '../../src-main/core/supervisor/readiness.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'

describe('readiness probes', () => {
  it('say what an HTTP probe got when readiness times out: the status and its Location, or that nothing listened', async () => {
    // As ASP.NET Core's UseHttpsRedirection answers a plain-HTTP probe.
    const server = http.createServer((_req, res) => res.writeHead(307, { location: 'https://localhost:5001/healthz' }).end())
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const check = { kind: 'http' as const, path: '/healthz', expectStatus: 200, timeoutMs: 300 }
    await expect(waitUntilReady(port, check, new AbortController().signal)).rejects.toThrow(
      `not ready after 300 ms: GET http://127.0.0.1:${port}/healthz was to answer 200, but it answered 307 (Location: https://localhost:5001/healthz)`,
    )
    server.close()
    const free = await findFreePort()
    await expect(waitUntilReady(free, check, new AbortController().signal)).rejects.toThrow('but nothing listened on the port')
  })
})
