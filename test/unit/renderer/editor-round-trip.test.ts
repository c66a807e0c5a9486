import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { StackSchema, type Stack } from '../../../src-main/core/stacks/stack-schema.js'
import { joinArgs, splitArgs } from '../../../src-renderer/src/editor/args-line.js'
import { draftToStack, formatEnv, parseEnv, stackToDraft } from '../../../src-renderer/src/editor/editor-model.js'

/** Any text without NUL (which no argument or environment can carry). */
const text = fc.string({ unit: 'binary', maxLength: 24 }).filter((s) => !s.includes('\0'))
const envName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,12}$/)
const port = fc.integer({ min: 1024, max: 65535 })
const headerName = fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/)
/** One line, no NUL, and nothing a config language refuses ($ for nginx, \${ for Apache). */
const headerValue = fc.string({ maxLength: 20 }).filter((v) => !/[\r\n\0$]/.test(v))
const ms = (min: number, max: number) => fc.integer({ min, max })

const appServer = (name: string) =>
  fc.record({
    name: fc.constant(name),
    kind: fc.constantFrom('command', 'dotnet'),
    command: fc.constantFrom('node', '{node}', '/usr/bin/python3', 'my app'),
    project: fc.constantFrom('/src/App', 'App/App.csproj'),
    dotnetMode: fc.constantFrom('run', 'build-once'),
    args: fc.array(text, { maxLength: 5 }),
    cwd: fc.option(fc.constantFrom('/tmp', 'sub dir', '{resources}'), { nil: undefined }),
    env: fc.dictionary(envName, text, { maxKeys: 4 }),
    instances: fc.integer({ min: 1, max: 4 }),
    fixedPorts: fc.boolean(),
    readiness: fc.record({ kind: fc.constantFrom('tcp', 'http'), path: fc.constantFrom('/', '/healthz', '/ready?x=1'), expectStatus: fc.integer({ min: 100, max: 599 }), timeoutMs: ms(100, 600_000) }),
    restart: fc.constantFrom('never', 'on-failure', 'always'),
    restartBackoff: fc.record({ initialMs: ms(10, 600_000), maxMs: ms(10, 3_600_000) }),
    restartLimit: fc.record({ burst: fc.integer({ min: 1, max: 1000 }), windowMs: ms(1000, 86_400_000) }),
    stopGraceMs: ms(0, 600_000),
  })

/** Valid stacks with every field the schema knows, most of which the form does not show. */
const stacks = fc
  .record({
    rewrites: fc.array(fc.record({ match: fc.constantFrom('^/old/(.*)$', '^/a$', '^/b/(\\d+)/(x|y)$'), to: fc.constantFrom('/new', '/n/$1'), redirect: fc.option(fc.constantFrom(301, 302, 303, 307, 308), { nil: undefined }) }), { maxLength: 3 }).map((rs) => rs.map(({ redirect, ...r }) => (redirect ? { ...r, redirect } : r))),
    headers: fc.record({
      request: fc.record({ set: fc.dictionary(headerName, headerValue, { maxKeys: 3 }), remove: fc.uniqueArray(headerName, { maxLength: 2 }) }),
      response: fc.record({ set: fc.dictionary(headerName, headerValue, { maxKeys: 3 }), remove: fc.uniqueArray(headerName, { maxLength: 2 }) }),
    }),
    id: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
    name: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0),
    hostnames: fc.uniqueArray(fc.constantFrom('a.localhost', 'shop.test', '*.api.localhost', 'localhost'), { minLength: 1 }),
    apps: fc.tuple(appServer('web'), fc.option(appServer('worker'), { nil: undefined })),
    routes: fc.array(fc.record({ pathPrefix: fc.constantFrom('/', '/api', '/static/'), target: fc.constantFrom('web', 'worker', 'static'), strip: fc.boolean(), limited: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    proxy: fc.record({
      kind: fc.constantFrom('builtin', 'nginx', 'apache', 'caddy'),
      listenHost: fc.constantFrom('127.0.0.1', '::1'),
      httpPort: port,
      httpsPort: fc.option(port, { nil: undefined }),
      tlsKeyKind: fc.constantFrom('ecdsa-p256', 'rsa-2048'),
      redirectToHttps: fc.boolean(),
      loadBalancing: fc.constantFrom('round-robin', 'least-connections', 'sticky'),
      healthCheck: fc.option(fc.record({ path: fc.constantFrom('/', '/health'), intervalMs: ms(100, 600_000) }), { nil: undefined }),
      ejection: fc.record({ failures: fc.integer({ min: 1, max: 100 }), ejectMs: ms(100, 600_000) }),
      timeouts: fc.record({ clientHeadersMs: ms(1000, 600_000), idleMs: ms(1000, 3_600_000), upstreamConnectMs: ms(100, 600_000), upstreamResponseMs: ms(100, 3_600_000) }),
      compression: fc.boolean(),
      maxBodySize: fc.integer({ min: 0, max: 2_147_483_647 }),
      cache: fc.option(fc.record({ maxSizeMb: fc.integer({ min: 1, max: 4096 }) }), { nil: undefined }),
      rateLimit: fc.option(fc.record({ requestsPerSecond: fc.integer({ min: 1, max: 100_000 }), burst: fc.integer({ min: 0, max: 100_000 }) }), { nil: undefined }),
      hsts: fc.option(fc.record({ maxAgeSeconds: fc.integer({ min: 0, max: 63_072_000 }), includeSubDomains: fc.boolean() }), { nil: undefined }),
      forwardedHeader: fc.boolean(),
      traceSecrets: fc.boolean(),
      traceFile: fc.boolean(),
    }),
  })
  .map(({ apps, routes, proxy, ...rest }) => {
    const appServers = apps.filter((a) => a !== undefined).map(({ fixedPorts, ...a }) => ({ ...a, ports: fixedPorts ? Array.from({ length: a.instances }, (_, i) => 20000 + i) : ('auto' as const) }))
    return {
      ...rest,
      appServers,
      routes: routes.map((r) => (r.target === 'static' ? { pathPrefix: r.pathPrefix, staticDir: 'public files' } : { pathPrefix: r.pathPrefix, appServer: appServers.some((a) => a.name === r.target) ? r.target : 'web', stripPrefix: r.strip && r.pathPrefix !== '/', ...(r.limited ? { hosts: rest.hostnames.slice(0, 1) } : {}) })),
      proxy: { ...proxy, httpsPort: proxy.httpsPort === proxy.httpPort ? undefined : proxy.httpsPort, redirectToHttps: proxy.redirectToHttps && proxy.httpsPort !== undefined && proxy.httpsPort !== proxy.httpPort },
    }
  })
  .map((input) => StackSchema.safeParse(input))
  .filter((r) => r.success)
  .map((r) => r.data as Stack)

describe('the stack editor round trip', () => {
  it('gives back every stack exactly, through the form and back, with nothing edited', () => {
    fc.assert(
      fc.property(stacks, (stack) => {
        expect(StackSchema.parse(draftToStack(stackToDraft(stack), stack))).toEqual(stack)
      }),
      { numRuns: 400 },
    )
  })

  it('keeps arguments, environment values and readiness byte for byte through the lines the form shows', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 8 }), (args) => {
        expect(splitArgs(joinArgs(args))).toEqual(args)
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(fc.dictionary(envName, text, { maxKeys: 6 }), (env) => {
        expect(parseEnv(formatEnv(env))).toEqual(env)
      }),
      { numRuns: 2000 },
    )
  })

  it('keeps the cases that were lost before', () => {
    const stack = StackSchema.parse({
      id: 'lossy',
      name: 'Lossy',
      hostnames: ['lossy.localhost'],
      appServers: [{ name: 'web', command: 'node', args: ['-e', "console.log('a b')", '--urls=http://a,http://b'], env: { PADDED: '  two words  ', EMPTY: '' }, readiness: { kind: 'http', path: '/', expectStatus: 204, timeoutMs: 90_000 } }],
      routes: [{ appServer: 'web' }],
      proxy: { httpPort: 8080 },
    })
    const draft = stackToDraft(stack)
    expect(joinArgs(draft.appServers[0].args)).toBe(`-e 'console.log('\\''a b'\\'')' --urls=http://a,http://b`)
    const back = StackSchema.parse(draftToStack(draft, stack))
    expect(back.appServers[0]).toMatchObject({ args: ['-e', "console.log('a b')", '--urls=http://a,http://b'], env: { PADDED: '  two words  ', EMPTY: '' }, readiness: { expectStatus: 204, timeoutMs: 90_000 } })
    // A line typed the way a shell is typed.
    expect(splitArgs(`-e "console.log('a b')" --urls=http://127.0.0.1:$PORT`)).toEqual(['-e', "console.log('a b')", '--urls=http://127.0.0.1:$PORT'])
  })
})
