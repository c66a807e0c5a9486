import { execFile } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { Trace } from '../../src-main/contract.js'
import { curlFor } from '../../src-renderer/src/traces/curl.js'

const trace = (over: Partial<Trace>): Trace => ({ id: '1', time: 0, stackId: 'demo', client: '127.0.0.1', protocol: 'HTTP/1.1', method: 'GET', host: 'demo.localhost', path: '/', status: 200, durationMs: 1, ...over })

describe('copy as cURL', () => {
  it('is a shell command that sends the same method, target and headers again (run with sh and the real curl)', async () => {
    const seen: { method?: string; url?: string; headers?: http.IncomingHttpHeaders } = {}
    const server = http.createServer((req, res) => {
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers })
      res.end('ok')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const command = curlFor(trace({ tls: undefined, method: 'DELETE', path: "/items/1?q=it's&x=$HOME", requestHeaders: { host: `127.0.0.1:${port}`, 'x-quote': `a 'quoted' "value" $HOME`, cookie: 'session=***', 'content-length': '0' } }))
    expect(command).toContain('# values shown as *** were masked')
    await promisify(execFile)('sh', ['-c', command.split('\n')[0]])
    server.close()
    expect(seen.method).toBe('DELETE')
    expect(seen.url).toBe("/items/1?q=it's&x=$HOME")
    expect(seen.headers?.['x-quote']).toBe(`a 'quoted' "value" $HOME`)
    expect(seen.headers?.cookie).toBe('session=***')
  })
})
