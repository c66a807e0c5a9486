import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { StackView, Trace } from '../../../src-main/contract.js'
import { CHECKS, diagnose, renderCatalogue } from '../../../src-main/core/doctor/catalogue.js'
import { StackSchema } from '../../../src-main/core/stacks/stack-schema.js'

const [START, END] = ['<!-- doctor:start -->', '<!-- doctor:end -->']

describe("the doctor's catalogue", () => {
  it('is what the README lists (UPDATE_DOCS=1 rewrites the section)', () => {
    const readme = fs.readFileSync('README.md', 'utf8')
    const section = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim()
    if (process.env.UPDATE_DOCS === '1' && section !== renderCatalogue()) {
      fs.writeFileSync('README.md', `${readme.slice(0, readme.indexOf(START) + START.length)}\n${renderCatalogue()}\n${readme.slice(readme.indexOf(END))}`)
      return
    }
    expect(section).toBe(renderCatalogue())
    expect(new Set(CHECKS.map((c) => c.id)).size).toBe(CHECKS.length)
  })

  it('finds nothing in a quiet stack, and only what the evidence shows', () => {
    const stack = StackSchema.parse({ id: 'shop', name: 'Shop', hostnames: ['shop.localhost'], appServers: [{ name: 'web', command: 'x', instances: 2 }], routes: [{ appServer: 'web' }], proxy: { httpPort: 8080 } })
    const view: StackView = { stack, state: 'running', urls: [], processes: [{ id: 'shop/web#1', stackId: 'shop', appServer: 'web', instance: 1, state: 'running', port: 5001, restarts: 0 }] }
    const trace = (over: Partial<Trace>): Trace => ({ id: 't1', time: 0, stackId: 'shop', client: '127.0.0.1', protocol: 'HTTP/1.1', method: 'GET', host: 'shop.localhost', path: '/', status: 200, durationMs: 1, upstream: 'web#1', ...over })
    expect(diagnose({ view, traces: [trace({})], lines: [] })).toEqual([])
    const found = diagnose({ view, traces: [trace({ tls: 'TLSv1.3', status: 302, responseHeaders: { location: 'http://127.0.0.1:5001/login' } })], lines: [] })
    expect(found.map((f) => f.id)).toEqual(['redirect-to-http', 'instance-address-leaked'])
    expect(found[0].evidence).toEqual(['trace t1: GET / → 302 (Location http://127.0.0.1:5001/login)'])
    // A redirect to the very URL asked for, and a log line naming another port than the instance's.
    const loop = diagnose({ view, traces: [trace({ tls: 'TLSv1.3', status: 307, path: '/a?b=1', requestHeaders: { host: 'shop.localhost:8443' }, responseHeaders: { location: 'https://shop.localhost:8443/a?b=1' } })], lines: [] })
    expect(loop.map((f) => f.id)).toEqual(['redirect-loop'])
    const line = { seq: 1, time: 0, stackId: 'shop', source: 'web#1', stream: 'out' as const, text: 'info: Now listening on: http://localhost:5000' }
    expect(diagnose({ view, traces: [], lines: [line] })[0]).toMatchObject({ id: 'wrong-port', evidence: ['web#1: info: Now listening on: http://localhost:5000 (given port 5001)'] })
    expect(diagnose({ view, traces: [], lines: [{ ...line, text: 'Now listening on: http://127.0.0.1:5001' }] })).toEqual([])
  })
})
