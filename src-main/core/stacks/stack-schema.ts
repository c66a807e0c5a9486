import { z } from 'zod'
import { apacheQuote, caddyQuote, nginxQuote } from '../proxy/config-quoting.js'
import { HTTP_TOKEN } from '../proxy/header-rules.js'
import { checkPortableRegex, checkRewriteTarget } from '../proxy/portable-regex.js'

/** The quoting helper of each real proxy's config language, by proxy kind. */
const CONFIG_QUOTING: Record<string, ((value: string) => string) | undefined> = { nginx: nginxQuote, apache: apacheQuote, caddy: caddyQuote }

/** Bumped when the stored shape changes; the store migrates older files on read. */
export const STACK_SCHEMA_VERSION = 1

const portNumber = z
  .number({ error: 'must be a number between 1 and 65535' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535')

/** RFC 1123 host names, plus `*.` wildcards under at least two labels. */
const hostnamePattern = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i

export const HostnameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(hostnamePattern, 'must be a host name such as demo.localhost (letters, digits, dots and dashes)')
  .transform((h) => h.toLowerCase())

export const IdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1–40 lowercase letters, digits or dashes, starting with a letter or digit')

export const ReadinessSchema = z.object({
  kind: z.enum(['tcp', 'http']).default('tcp'),
  path: z.string().startsWith('/', 'must start with /').default('/'),
  expectStatus: z.number().int().min(100).max(599).default(200),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
})

export const AppServerSchema = z.object({
  name: IdSchema,
  kind: z.enum(['command', 'dotnet']).default('command'),
  /** The program to run (kind `command`); for kind `dotnet` Aerie builds the command from `project`. */
  command: z.string().default(''),
  /** Kind `dotnet`: the project folder or its .csproj. */
  project: z.string().optional(),
  /** Kind `dotnet`: `run` = one build, then `dotnet run --no-build` per instance; `build-once` = one build to an output folder, then `dotnet <dll>` per instance. */
  dotnetMode: z.enum(['run', 'build-once']).default('run'),
  args: z.array(z.string()).default([]),
  cwd: z.string().optional(),
  /** An environment holds no NUL; a name holds no `=` or white space (no OS could pass it on). */
  env: z
    .record(z.string().regex(/^[^=\s\0]+$/, 'an environment variable name must not be empty or hold "=", spaces or NUL'), z.string().refine((v) => !v.includes('\0'), 'an environment value cannot hold a NUL character'))
    .default({}),
  instances: z.number().int().min(1, 'must be at least 1').max(32, 'must be at most 32').default(1),
  /** `auto` picks free ports at start; a list fixes one port per instance. */
  ports: z.union([z.literal('auto'), z.array(portNumber)]).default('auto'),
  readiness: ReadinessSchema.default({ kind: 'tcp', path: '/', expectStatus: 200, timeoutMs: 30_000 }),
  restart: z.enum(['never', 'on-failure', 'always']).default('on-failure'),
  /** Delay before the first restart, doubling per crash up to maxMs. */
  restartBackoff: z
    .object({ initialMs: z.number().int().min(10).max(600_000), maxMs: z.number().int().min(10).max(3_600_000) })
    .default({ initialMs: 1_000, maxMs: 30_000 }),
  /** More than `burst` crashes within `windowMs` marks the instance failed. */
  restartLimit: z.object({ burst: z.number().int().min(1).max(1000), windowMs: z.number().int().min(1000).max(86_400_000) }).default({ burst: 5, windowMs: 60_000 }),
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs: z.number().int().min(0, 'must be 0 or more').max(600_000).default(10_000),
})

/** Headers the proxy owns (framing, the connection, the Host and forwarding headers it sets itself): a stack cannot set or remove them. */
export const PROXY_OWNED_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'keep-alive', 'te', 'trailer', 'proxy-connection', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix', 'forwarded', 'traceparent']
const headerName = z
  .string()
  .regex(HTTP_TOKEN, 'must be a header name (letters, digits and !#$%&\'*+.^_`|~-)')
  .refine((n) => !PROXY_OWNED_HEADERS.includes(n.toLowerCase()), { message: `is one the proxy owns (${PROXY_OWNED_HEADERS.join(', ')})` })
const headerEdits = z
  .object({
    // Names are checked in the stack's superRefine: a record key's own message would be lost ("Invalid key in record").
    set: z.record(z.string(), z.string().regex(/^[^\r\n\0]*$/, 'must be one line')).default({}),
    remove: z.array(headerName).default([]),
  })
  .default({ set: {}, remove: [] })
/** Headers set on or removed from requests (to the app) and responses (to the client), on a stack or one route. */
export const HeaderRulesSchema = z.object({ request: headerEdits, response: headerEdits }).default({ request: { set: {}, remove: [] }, response: { set: {}, remove: [] } })
export type HeaderRules = z.infer<typeof HeaderRulesSchema>

/** What a stripPrefix route's prefix may hold: every engine's matcher takes it literally. */
export const STRIPPABLE_PREFIX = /^\/[A-Za-z0-9._~\/-]*$/

export const RouteSchema = z
  .object({
    pathPrefix: z.string().startsWith('/', 'must start with /').default('/'),
    /** Requests under the prefix go to this app server's instances… */
    appServer: IdSchema.optional(),
    /** …or are served from this folder (relative to the stack file, or absolute). */
    staticDir: z.string().min(1).optional(),
    /** The app gets the path without the prefix, and `X-Forwarded-Prefix: <prefix>` (ASP.NET Core's UsePathBase / ForwardedHeaders.XForwardedPrefix). */
    stripPrefix: z.boolean().default(false),
    /** Added to (and over) the stack's `headers` for this route. */
    headers: HeaderRulesSchema,
    /** Only for these of the stack's host names (default: all), so that one stack serves several apps by name. */
    hosts: z.array(HostnameSchema).min(1, 'needs at least one host name (leave "hosts" out for all of them)').optional(),
  })
  .refine((r) => Boolean(r.appServer) !== Boolean(r.staticDir), { message: 'needs either "appServer" or "staticDir" (one of them)' })
  .refine((r) => !r.stripPrefix || (r.appServer && r.pathPrefix.replace(/\/+$/, '') !== ''), { message: 'stripPrefix needs an app server route under a prefix other than "/"', path: ['stripPrefix'] })
  .refine((r) => !r.stripPrefix || STRIPPABLE_PREFIX.test(r.pathPrefix), {
    message: 'a prefix to strip may hold only letters, digits and - . _ ~ / (so that every engine matches it the same way)',
    path: ['pathPrefix'],
  })

/** The largest body limit every engine can express (Apache's LimitRequestBody takes at most 2 GiB - 1). */
export const MAX_BODY_SIZE = 2_147_483_647

const ms = (min: number, max: number) => z.number().int().min(min, `must be at least ${min} ms`).max(max, `must be at most ${max} ms`)

export const ProxySchema = z.object({
  /** The built-in proxy (nothing to install), or a real nginx, Apache httpd or Caddy that Aerie configures and supervises. */
  kind: z.enum(['builtin', 'nginx', 'apache', 'caddy']).default('builtin'),
  listenHost: z.enum(['127.0.0.1', '::1']).default('127.0.0.1'),
  httpPort: portNumber,
  /** HTTPS (HTTP/2 and HTTP/1.1) with a certificate from Aerie's local CA (or an imported one) when set. */
  httpsPort: portNumber.optional(),
  /** Key type of the stack's certificate. */
  tlsKeyKind: z.enum(['ecdsa-p256', 'rsa-2048']).default('ecdsa-p256'),
  /** With an HTTPS port: answer plain HTTP with a redirect to HTTPS. */
  redirectToHttps: z.boolean().default(false),
  loadBalancing: z.enum(['round-robin', 'least-connections', 'sticky']).default('round-robin'),
  /** Active health checks: GET `path` on every instance each `intervalMs`; a failing instance gets no traffic. */
  healthCheck: z.object({ path: z.string().startsWith('/', 'must start with /').default('/'), intervalMs: ms(100, 600_000).default(5_000) }).optional(),
  /** Passive ejection: after `failures` consecutive connect errors an instance rests for `ejectMs`. */
  ejection: z.object({ failures: z.number().int().min(1).max(100).default(3), ejectMs: ms(100, 600_000).default(10_000) }).default({ failures: 3, ejectMs: 10_000 }),
  timeouts: z
    .object({
      clientHeadersMs: ms(1_000, 600_000).default(30_000),
      idleMs: ms(1_000, 3_600_000).default(60_000),
      upstreamConnectMs: ms(100, 600_000).default(5_000),
      upstreamResponseMs: ms(100, 3_600_000).default(60_000),
    })
    .default({ clientHeadersMs: 30_000, idleMs: 60_000, upstreamConnectMs: 5_000, upstreamResponseMs: 60_000 }),
  /** The largest request body in bytes (0: no limit); a larger one gets 413 from every engine. The default is Kestrel's own, so that the proxy refuses what the app would. */
  maxBodySize: z.number().int().min(0, 'must be 0 (no limit) or more').max(MAX_BODY_SIZE, `must be at most ${MAX_BODY_SIZE} (Apache's limit), or 0 for no limit`).default(30_000_000),
  /** Strict-Transport-Security on HTTPS answers (off by default: a browser would then refuse plain HTTP for the name, for max-age seconds). */
  hsts: z.object({ maxAgeSeconds: z.number().int().min(0).max(63_072_000, 'must be at most 63072000 (two years)'), includeSubDomains: z.boolean().default(false) }).optional(),
  /** A shared response cache (RFC 9111, heuristic freshness off): what the app marks cacheable is served from it, with Cache-Status. Not on Caddy 2.6. */
  cache: z.object({ maxSizeMb: z.number().int().min(1).max(4096) }).optional(),
  /** Requests per second per client address, with a burst on top (nginx's limit_req … nodelay): 429 with Retry-After beyond it. Built-in proxy and nginx only. */
  rateLimit: z.object({ requestsPerSecond: z.number().int().min(1).max(100_000), burst: z.number().int().min(0).max(100_000).default(0) }).optional(),
  /** gzip/brotli for compressible responses the app did not compress. */
  compression: z.boolean().default(true),
  /** Also send RFC 7239 `Forwarded` (X-Forwarded-* are always sent). */
  forwardedHeader: z.boolean().default(false),
  /** Show Authorization and Cookie values in traces (masked by default). */
  traceSecrets: z.boolean().default(false),
  /** Record up to this many bytes of each request and response body in its trace (0: none). The built-in proxy only; the engine keeps the bodies of the newest 1000 traces. */
  traceBodies: z.number().int().min(0).max(1_048_576, 'must be at most 1048576 (1 MiB)').default(0),
  /** Also append every trace to `<dataDir>/traces/<stack>.ndjson` (rotated by size). */
  traceFile: z.boolean().default(false),
})

/** One URL rewrite, tried in order before routing (the first that matches applies): internal, or a redirect with `redirect`. */
export const RewriteSchema = z
  .object({
    /** A regular expression on the path (without the query string), in the dialect every engine runs (portable-regex.ts). */
    match: z.string().min(1, 'must not be empty').startsWith('^', 'must start with ^ (anchored at the start of the path, as every engine needs it)'),
    /** The new path with $1…$9; for a redirect also an absolute URL. The query string is kept. */
    to: z.string().min(1, 'must not be empty'),
    redirect: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).optional(),
  })
  .superRefine((r, ctx) => {
    let groups = 0
    try {
      groups = checkPortableRegex(r.match)
    } catch (err) {
      return ctx.addIssue({ code: 'custom', path: ['match'], message: (err as Error).message })
    }
    try {
      checkRewriteTarget(r.to, groups)
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: (err as Error).message })
    }
    if (!r.to.startsWith('/') && !(r.redirect && /^https?:\/\/[^\s"]+$/.test(r.to))) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be a path (/…), or with "redirect" an absolute http(s) URL' })
  })

/** Duties an engine cannot do: a stack that asks for one on it is refused, naming the engines that can (never silently ignored). */
const LACKS_DUTY: Partial<Record<string, Record<string, string>>> = {
  apache: { rateLimit: "Apache 2.4's stock modules have no request-rate limit; the built-in proxy and nginx have one (pick one of them, or remove proxy.rateLimit)" },
  caddy: {
    rateLimit: 'Caddy 2.6 has no rate limit without a third-party module; the built-in proxy and nginx have one (pick one of them, or remove proxy.rateLimit)',
    cache: 'Caddy 2.6 has no response cache without a third-party module; the built-in proxy, nginx and Apache have one (pick one of them, or remove proxy.cache)',
  },
}

export const StackSchema = z
  .object({
    schemaVersion: z.literal(STACK_SCHEMA_VERSION).default(STACK_SCHEMA_VERSION),
    id: IdSchema,
    name: z.string().min(1, 'must not be empty').max(80, 'must be at most 80 characters'),
    hostnames: z.array(HostnameSchema).min(1, 'needs at least one host name'),
    appServers: z.array(AppServerSchema).min(1, 'needs at least one app server'),
    routes: z.array(RouteSchema).min(1, 'needs at least one route'),
    /** Headers for every route (a route's own come on top). */
    headers: HeaderRulesSchema,
    /** URL rewrites and redirects, before routing. */
    rewrites: z.array(RewriteSchema).default([]),
    proxy: ProxySchema,
  })
  .superRefine((stack, ctx) => {
    const names = new Set<string>()
    stack.appServers.forEach((a, i) => {
      if (names.has(a.name)) ctx.addIssue({ code: 'custom', path: ['appServers', i, 'name'], message: `"${a.name}" is used twice; give each app server its own name` })
      names.add(a.name)
      if (a.kind === 'command' && !a.command.trim())
        ctx.addIssue({ code: 'custom', path: ['appServers', i, 'command'], message: 'must name a program to run' })
      if (a.kind === 'dotnet' && !a.project?.trim())
        ctx.addIssue({ code: 'custom', path: ['appServers', i, 'project'], message: 'must name the .NET project folder or its .csproj' })
      if (a.ports !== 'auto' && a.ports.length !== a.instances)
        ctx.addIssue({ code: 'custom', path: ['appServers', i, 'ports'], message: `lists ${a.ports.length} port(s) for ${a.instances} instance(s); give one port per instance or use "auto"` })
    })
    const { httpPort, httpsPort, redirectToHttps } = stack.proxy
    if (httpsPort === httpPort) ctx.addIssue({ code: 'custom', path: ['proxy', 'httpsPort'], message: 'must differ from proxy.httpPort' })
    if (redirectToHttps && httpsPort === undefined) ctx.addIssue({ code: 'custom', path: ['proxy', 'redirectToHttps'], message: 'needs proxy.httpsPort: there is no HTTPS listener to redirect to' })
    const lacking = LACKS_DUTY[stack.proxy.kind]
    for (const [key, why] of Object.entries(lacking ?? {}))
      if (stack.proxy[key as keyof typeof stack.proxy] !== undefined) ctx.addIssue({ code: 'custom', path: ['proxy', key], message: why })
    const quote = CONFIG_QUOTING[stack.proxy.kind]
    stack.routes.forEach((r, i) => {
      if (r.appServer && !names.has(r.appServer))
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'appServer'], message: `names "${r.appServer}", which is not an app server of this stack` })
      r.hosts?.forEach((h, j) => {
        if (!stack.hostnames.includes(h)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'hosts', j], message: `names "${h}", which is not one of the stack's host names (${stack.hostnames.join(', ')})` })
      })
      // A folder the chosen server's config language cannot hold is refused now, not when the stack starts.
      for (const [field, value] of [['staticDir', r.staticDir], ['pathPrefix', r.pathPrefix]] as const) {
        if (!quote || value === undefined) continue
        try {
          quote(value)
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: ['routes', i, field], message: (err as Error).message })
        }
      }
      checkHeaderValues(r.headers, ['routes', i, 'headers'])
    })
    checkHeaderValues(stack.headers, ['headers'])
    function checkHeaderValues(rules: HeaderRules, at: (string | number)[]) {
      for (const side of ['request', 'response'] as const)
        for (const [name, value] of Object.entries(rules[side].set)) {
          const named = headerName.safeParse(name)
          if (!named.success) ctx.addIssue({ code: 'custom', path: [...at, side, 'set', name], message: `"${name}" ${named.error.issues[0].message}` })
          if (!quote) continue
          try {
            quote(value)
          } catch (err) {
            ctx.addIssue({ code: 'custom', path: [...at, side, 'set', name], message: (err as Error).message })
          }
        }
    }
  })

export type Stack = z.infer<typeof StackSchema>
export type StackInput = z.input<typeof StackSchema>
export type AppServer = z.infer<typeof AppServerSchema>
