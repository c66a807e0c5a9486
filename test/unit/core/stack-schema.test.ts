import { describe, expect, it } from 'vitest'
import { demoStack } from '../../../src-main/core/stacks/demo-stack.js'
import { StackSchema } from '../../../src-main/core/stacks/stack-schema.js'
import { parseOrThrow, ValidationError } from '../../../src-main/core/validation-error.js'

function issuesOf(input: unknown) {
  try {
    parseOrThrow(StackSchema, input, 'The stack')
  } catch (err) {
    if (err instanceof ValidationError) return err.issues
    throw err
  }
  return []
}

describe('StackSchema', () => {
  it('accepts the demo stack and fills defaults', () => {
    const stack = StackSchema.parse(demoStack({}))
    expect(stack.proxy.httpPort).toBe(8080)
    expect(stack.appServers[0].instances).toBe(2)
    expect(stack.schemaVersion).toBe(1)
  })

  it('names the field and the range for a bad port', () => {
    const bad = { ...demoStack({}), proxy: { kind: 'builtin', httpPort: 70000 } }
    expect(issuesOf(bad)).toEqual([{ path: 'proxy.httpPort', message: 'must be between 1 and 65535' }])
  })

  it('rejects a host name with a space or an underscore', () => {
    const issues = issuesOf({ ...demoStack({}), hostnames: ['demo.localhost', 'my app.test'] })
    expect(issues).toHaveLength(1)
    expect(issues[0].path).toBe('hostnames[1]')
    expect(issues[0].message).toMatch(/host name/)
  })

  it('lowercases host names so that routing matches case-insensitively', () => {
    expect(StackSchema.parse({ ...demoStack({}), hostnames: ['Demo.LocalHost'] }).hostnames).toEqual(['demo.localhost'])
  })

  it('requires one fixed port per instance', () => {
    const d = demoStack({})
    const issues = issuesOf({ ...d, appServers: [{ ...d.appServers[0], instances: 2, ports: [5001] }] })
    expect(issues[0]).toMatchObject({ path: 'appServers[0].ports' })
    expect(issues[0].message).toContain('1 port(s) for 2 instance(s)')
  })

  it('refuses a route to an app server that does not exist', () => {
    const issues = issuesOf({ ...demoStack({}), routes: [{ pathPrefix: '/', appServer: 'api' }] })
    expect(issues[0]).toMatchObject({ path: 'routes[0].appServer' })
  })

  it('refuses at save a static folder the chosen server cannot hold, naming the field and the server', () => {
    const demo = demoStack({})
    const withFolder = (kind: string, dir: string) => ({ ...demo, proxy: { ...demo.proxy, kind }, routes: [...demo.routes, { pathPrefix: '/files', staticDir: dir }] })
    expect(issuesOf(withFolder('nginx', '/srv/$money'))[0]).toMatchObject({ path: 'routes[1].staticDir', message: expect.stringContaining('nginx cannot take') })
    expect(issuesOf(withFolder('apache', '/srv/${HOME}'))[0]).toMatchObject({ path: 'routes[1].staticDir', message: expect.stringContaining('Apache httpd cannot take') })
    expect(issuesOf(withFolder('builtin', '/srv/$money'))).toEqual([])
    expect(issuesOf(withFolder('nginx', '/srv/odd dir; } #'))).toEqual([])
  })

  it('honours AERIE_DEMO_PORT when creating the demo', () => {
    expect(demoStack({ AERIE_DEMO_PORT: '9999' }).proxy.httpPort).toBe(9999)
  })
})

describe('proxy duties an engine cannot do', () => {
  const base = { id: 'x', name: 'X', hostnames: ['x.localhost'], appServers: [{ name: 'web', command: 'node' }], routes: [{ appServer: 'web' }] }
  it('refuses a rate limit on Apache and Caddy, naming the engines that have one; takes it on the built-in proxy and nginx', () => {
    for (const kind of ['apache', 'caddy'])
      expect(StackSchema.safeParse({ ...base, proxy: { kind, httpPort: 8080, rateLimit: { requestsPerSecond: 10 } } }).error?.issues).toContainEqual(
        expect.objectContaining({ path: ['proxy', 'rateLimit'], message: expect.stringContaining('the built-in proxy and nginx have one') }),
      )
    for (const kind of ['builtin', 'nginx']) expect(StackSchema.safeParse({ ...base, proxy: { kind, httpPort: 8080, rateLimit: { requestsPerSecond: 10 } } }).success).toBe(true)
  })

  it('refuses a prefix to strip that an engine could read as a pattern, and header names the proxy owns', () => {
    const strip = StackSchema.safeParse({ ...base, routes: [{ pathPrefix: '/a b', appServer: 'web', stripPrefix: true }], proxy: { httpPort: 8080 } })
    expect(strip.error?.issues[0].message).toContain('letters, digits and - . _ ~ /')
    const owned = StackSchema.safeParse({ ...base, headers: { request: { set: { Host: 'evil' } } }, proxy: { httpPort: 8080 } })
    expect(owned.error?.issues[0].message).toContain('is one the proxy owns')
  })
})
