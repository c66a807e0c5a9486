/**
 * The typed API between the engine and its faces (Electron IPC, the headless
 * HTTP/WebSocket server, the CLI). Channel names are `domain:verb`.
 * Every payload crossing a transport is parsed with these schemas.
 */
import { z } from 'zod'
import { ERROR_CODE_NAMES, type ErrorCode } from './core/error-codes.js'
import { COMMAND_NAMES, EVENT_NAMES, type CommandName, type EventName } from './contract-names.js'
import { EXPORT_TARGETS, ExportParamsSchema } from './core/proxy/export/export-params.js'
import { HostnameSchema, IdSchema, StackSchema } from './core/stacks/stack-schema.js'

export const ProcessStateSchema = z.enum(['stopped', 'starting', 'running', 'stopping', 'exited', 'crashed', 'backoff', 'failed'])
/** `degraded`: running, with some instances not serving; `down`: running, with none serving (see stack-runner.ts). */
export const StackStateSchema = z.enum(['stopped', 'starting', 'running', 'degraded', 'down', 'stopping', 'failed'])

export const ProcessViewSchema = z.object({
  id: z.string(),
  stackId: z.string(),
  appServer: z.string(),
  instance: z.number().int(),
  state: ProcessStateSchema,
  pid: z.number().int().optional(),
  port: z.number().int(),
  startedAt: z.number().optional(),
  readyAt: z.number().optional(),
  exitCode: z.number().optional(),
  signal: z.number().optional(),
  error: z.string().optional(),
  restarts: z.number().int(),
  nextRestartAt: z.number().optional(),
  lastLines: z.array(z.string()).optional(),
  /** CPU over the last few seconds (percent of one core) and resident memory, with the process's children; where /proc tells. */
  cpuPercent: z.number().optional(),
  rssMB: z.number().optional(),
})

export const StackViewSchema = z.object({
  stack: StackSchema,
  state: StackStateSchema,
  urls: z.array(z.string()),
  processes: z.array(ProcessViewSchema),
  error: z.string().optional(),
  /** The aerie.stack.json this stack lives in, when it is kept in an app's repository. */
  source: z.string().optional(),
  /** Why the last edit of that file was not applied; the stack keeps its last valid config. */
  configError: z.string().optional(),
  /** What the last save did to the running stack, in words. */
  lastChange: z.string().optional(),
  /** What the stack is busy with that takes a while: a .NET build, a saved change being rolled out. */
  activity: z.string().optional(),
  /** What the last start found that will make the app behave differently (a host name the system does not resolve), with the fix. */
  warnings: z.array(z.string()).optional(),
})

export const LogLineSchema = z.object({
  seq: z.number().int(),
  time: z.number(),
  stackId: z.string(),
  /** `web#1` for an instance, `proxy` for the proxy, `aerie` for the engine's own messages. */
  source: z.string(),
  stream: z.enum(['out', 'system']),
  text: z.string(),
})

const TraceBodySchema = z.object({ text: z.string(), encoding: z.enum(['utf8', 'base64']), bytes: z.number().int(), truncated: z.boolean() })

export const TraceSchema = z.object({
  id: z.string(),
  time: z.number(),
  stackId: z.string(),
  client: z.string(),
  protocol: z.string(),
  method: z.string(),
  host: z.string(),
  path: z.string(),
  status: z.number().int(),
  upstream: z.string().optional(),
  durationMs: z.number(),
  traceId: z.string().optional(),
  /** The proxy's own span in that trace: the parent id (traceparent) of the app's server span. */
  spanId: z.string().optional(),
  /** The route that served it (`/api → web`), and how many instances refused it before (built-in proxy). */
  route: z.string().optional(),
  retries: z.number().int().optional(),
  error: z.string().optional(),
  /** TLS version, for HTTPS requests. */
  tls: z.string().optional(),
  requestBytes: z.number().int().optional(),
  responseBytes: z.number().int().optional(),
  /** Milliseconds: TLS handshake (first request of a new connection), until the request had an upstream connection (about 0 on a kept-alive one), time to first byte, total. */
  timings: z.object({ tlsMs: z.number().optional(), connectMs: z.number().optional(), ttfbMs: z.number().optional(), totalMs: z.number() }).optional(),
  requestHeaders: z.record(z.string(), z.string()).optional(),
  responseHeaders: z.record(z.string(), z.string()).optional(),
  /** What a response cache did, as Cache-Status (RFC 9211) says it: `Aerie; hit; ttl=40`, `Aerie; fwd=miss; detail="private"`, `nginx; HIT`, `Apache; MISS`. */
  cache: z.string().optional(),
  /** The first bytes of the request and response bodies (proxy.traceBodies), as text when they are UTF-8, else base64. */
  requestBody: TraceBodySchema.optional(),
  responseBody: TraceBodySchema.optional(),
  /** The stack rewrite that applied (1-based, first match), the target it made, and its status when it redirected. */
  rewrite: z.object({ rule: z.number().int(), match: z.string(), target: z.string(), redirect: z.number().int().optional() }).optional(),
})

const SpanStatusSchema = z.object({ code: z.number().int(), message: z.string().optional() })
/** A bar of a request's waterfall (core/telemetry/otlp/timeline.ts): the proxy's hop, or a span the app exported (OTLP). */
export const TimelineSpanSchema = z.object({
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  service: z.string(),
  source: z.enum(['proxy', 'app']),
  kind: z.number().int(),
  startMs: z.number(),
  endMs: z.number(),
  depth: z.number().int(),
  status: SpanStatusSchema,
  attributes: z.record(z.string(), z.unknown()),
})
/** A log record the app exported (OTLP) with the trace id of the request it was written in. */
export const AppLogSchema = z.object({
  traceId: z.string().optional(),
  spanId: z.string().optional(),
  timeMs: z.number(),
  severity: z.number().int(),
  severityText: z.string(),
  body: z.string(),
  service: z.string(),
  scope: z.string(),
  attributes: z.record(z.string(), z.unknown()),
})

const StackRef = z.object({ id: IdSchema })

export const CaInfoSchema = z.object({ subject: z.string(), fingerprint: z.string(), notBefore: z.string(), notAfter: z.string(), permittedDomains: z.array(z.string()), certFile: z.string() })
export const LeafInfoSchema = z.object({
  stackId: z.string(),
  names: z.array(z.string()),
  notBefore: z.string(),
  notAfter: z.string(),
  fingerprint: z.string(),
  source: z.enum(['aerie', 'imported']),
  certFile: z.string(),
  keyFile: z.string(),
})
export const TrustStateSchema = z.object({ name: z.string(), trusted: z.union([z.boolean(), z.literal('unknown')]), install: z.string(), uninstall: z.string(), needsAdmin: z.boolean() })
export const CertificatesViewSchema = z.object({ ca: CaInfoSchema, leaves: z.array(LeafInfoSchema), trust: z.array(TrustStateSchema) })
const ExportedFileSchema = z.object({ name: z.string(), encoding: z.enum(['utf8', 'base64']), content: z.string() })

export const commandSchemas = {
  'stack:list': { request: z.object({}), response: z.array(StackViewSchema) },
  'stack:get': { request: StackRef, response: StackViewSchema },
  /** Saves a stack; with `create`, a new one, refused when its id is taken (creating never replaces a stack). */
  'stack:save': { request: z.object({ stack: z.unknown(), create: z.boolean().default(false) }), response: StackViewSchema },
  'stack:start': { request: StackRef, response: StackViewSchema },
  'stack:stop': { request: StackRef, response: StackViewSchema },
  'stack:restart': { request: StackRef, response: StackViewSchema },
  /** Forgets a stopped stack: its file in the data directory is deleted; a stack kept in a repository is only unlinked. */
  'stack:delete': { request: StackRef, response: z.object({ id: z.string(), keptFile: z.string().optional() }) },
  /** Restarts the instances of one app server one by one (rolling), on the same ports. */
  'appserver:restart': { request: z.object({ stackId: IdSchema, appServer: IdSchema }), response: StackViewSchema },
  /** What makes the app behave differently behind the proxy, from the stack's recent traces and log lines (core/doctor/catalogue.ts). */
  'stack:doctor': { request: StackRef, response: z.object({ findings: z.array(z.object({ id: z.string(), title: z.string(), evidence: z.array(z.string()), fix: z.string() })) }) },
  /** One instance of a running stack (`web#2`): stopped (the proxy sends to the others), started again, or restarted. */
  'instance:control': { request: z.object({ stackId: IdSchema, instance: z.string().regex(/^[a-z0-9-]+#\d+$/, 'is an instance like web#1'), action: z.enum(['stop', 'start', 'restart']) }), response: StackViewSchema },
  'stack:import': { request: z.object({ path: z.string().min(1, 'must name a folder or an aerie.stack.json file') }), response: StackViewSchema },
  'cert:list': { request: z.object({}), response: CertificatesViewSchema },
  'cert:renew': { request: z.object({ stackId: IdSchema }), response: LeafInfoSchema },
  'cert:delete': { request: z.object({ stackId: IdSchema }), response: z.object({}) },
  'cert:export': {
    request: z.object({ stackId: IdSchema.optional(), format: z.enum(['pem', 'pfx']).default('pem'), password: z.string().optional() }),
    response: z.object({ files: z.array(ExportedFileSchema) }),
  },
  'cert:import': {
    request: z.union([
      z.object({ stackId: IdSchema, certPem: z.string().min(1, 'paste the certificate (PEM)'), keyPem: z.string().min(1, 'paste the private key (PEM)') }),
      z.object({ stackId: IdSchema, pfxBase64: z.string().min(1, 'choose a .pfx or .p12 file'), password: z.string() }),
    ]),
    response: LeafInfoSchema,
  },
  /** Replaces the CA with one constrained to these domains (plus loopback IPs); its leaves are re-issued on next start. */
  'cert:set-domains': { request: z.object({ domains: z.array(HostnameSchema).min(1, 'needs at least one domain') }), response: CaInfoSchema },
  'cert:trust': {
    /** `includeSystem`: also the system-wide store, when Aerie runs as root; per-user stores otherwise. */
    request: z.object({ action: z.enum(['install', 'uninstall']), includeSystem: z.boolean().default(false) }),
    response: z.object({ results: z.array(z.object({ name: z.string(), ok: z.boolean(), message: z.string() })), trust: z.array(TrustStateSchema) }),
  },
  /** The stack as production configuration (nginx site, Apache vhost, Caddyfile, YARP settings, IIS web.config, systemd units), with a diff against the last export. */
  'stack:export': {
    request: z.object({ id: IdSchema, to: z.enum(EXPORT_TARGETS), params: ExportParamsSchema.default(ExportParamsSchema.parse({})) }),
    response: z.object({ files: z.array(z.object({ name: z.string(), content: z.string(), diff: z.string().optional() })) }),
  },
  /** Empties a running stack's response cache (proxy.cache), or what is under a path (the built-in proxy; nginx and Apache name their files by hash, so they are emptied whole). */
  'cache:purge': {
    request: z.object({ stackId: IdSchema, path: z.string().startsWith('/', 'must start with /').optional() }),
    response: z.object({ purged: z.number().int().nullable(), note: z.string() }),
  },
  /** Stack files Aerie could not read at start (file and reason); they are left as they are for the user to fix. */
  'engine:problems': { request: z.object({}), response: z.array(z.object({ file: z.string(), message: z.string() })) },
  /** Every proxy kind, whether it can run here, its version, and how to install it when it cannot. */
  'proxy:kinds': {
    request: z.object({}),
    response: z.array(z.object({ kind: z.string(), available: z.boolean(), version: z.string().optional(), problem: z.string().optional() })),
  },
  'appserver:detect': {
    request: z.object({ folder: z.string().min(1, 'must name a folder'), profile: z.string().optional() }),
    response: z.object({ appServer: z.record(z.string(), z.unknown()), notes: z.array(z.string()), profiles: z.array(z.string()) }),
  },
  /** The newest `limit` lines (of a stack), or with `afterSeq` the newest `limit` after that line: a face that missed lines asks for them again. */
  'log:tail': { request: z.object({ stackId: IdSchema.optional(), limit: z.number().int().min(1).max(100_000).default(1000), afterSeq: z.number().int().min(0).optional() }), response: z.array(LogLineSchema) },
  /** Sends a traced request again, through the stack's proxy or to one instance (`web#2`) directly. */
  'trace:replay': { request: z.object({ traceId: z.string().min(1), instance: z.string().optional() }), response: z.object({ status: z.number().int(), durationMs: z.number(), note: z.string() }) },
  /** One request's waterfall: the proxy's hop, the app's spans and log records of its trace id. */
  'trace:timeline': {
    request: z.object({ id: z.string().min(1, 'names a trace') }),
    response: z.object({ traceId: z.string().optional(), startMs: z.number(), endMs: z.number(), spans: z.array(TimelineSpanSchema), logs: z.array(AppLogSchema) }),
  },
  /** Trace ids (W3C) whose app spans or log records report an error: the Traces view's "with app errors" filter. */
  'trace:app-errors': { request: z.object({ stackId: IdSchema.optional() }), response: z.object({ traceIds: z.array(z.string()) }) },
  'trace:list': { request: z.object({ stackId: IdSchema.optional(), limit: z.number().int().min(1).max(50_000).default(1000) }), response: z.array(TraceSchema) },
} as const satisfies Record<CommandName, { request: z.ZodTypeAny; response: z.ZodTypeAny }>

export const eventSchemas = {
  'stack:state': StackViewSchema,
  'stack:deleted': z.object({ id: z.string() }),
  /** One instance changed state (with the reason: exit code, signal, failed probe); also reflected in stack:state. */
  'process:state': ProcessViewSchema,
  'log:lines': z.array(LogLineSchema),
  'trace:batch': z.array(TraceSchema),
  /**
   * From the headless face only: it dropped events of these names for this client (its socket was
   * too far behind), and the socket has caught up. The client asks again (log:tail, trace:list).
   */
  'stream:dropped': z.object({ names: z.array(z.enum(['log:lines', 'trace:batch'])) }),
} as const satisfies Record<EventName, z.ZodTypeAny>

export type { CommandName, EventName }
export type CommandRequest<C extends CommandName> = z.input<(typeof commandSchemas)[C]['request']>
export type CommandResponse<C extends CommandName> = z.infer<(typeof commandSchemas)[C]['response']>
export type EventPayload<E extends EventName> = z.infer<(typeof eventSchemas)[E]>

export type ProcessView = z.infer<typeof ProcessViewSchema>
export type StackView = z.infer<typeof StackViewSchema>
export type StackState = z.infer<typeof StackStateSchema>
export type LogLine = z.infer<typeof LogLineSchema>
export type Trace = z.infer<typeof TraceSchema>
export type CertificatesView = z.infer<typeof CertificatesViewSchema>
export type LeafInfo = z.infer<typeof LeafInfoSchema>
export type TrustState = z.infer<typeof TrustStateSchema>
export type { StackInput, Stack } from './core/stacks/stack-schema.js'

export const commandNames: readonly CommandName[] = COMMAND_NAMES
export const eventNames: readonly EventName[] = EVENT_NAMES

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commandSchemas, name)
}

/** The error shape every transport returns for a failed command. */
export const CommandErrorSchema = z.object({
  /** Machine-readable (core/error-codes.ts): usage, invalid, not-found, conflict, unavailable, denied, failed. */
  code: z.enum(ERROR_CODE_NAMES as [ErrorCode, ...ErrorCode[]]).optional(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
})
export type CommandError = z.infer<typeof CommandErrorSchema>

/** The engine as every face sees it. */
export interface EngineApi {
  invoke<C extends CommandName>(name: C, request: CommandRequest<C>): Promise<CommandResponse<C>>
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void
}

/** What the Electron preload exposes as `window.aerie` (the same shape the WebSocket transport gives). */
export interface AerieBridge {
  invoke(name: CommandName, request: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: CommandError }>
  on(name: EventName, listener: (payload: unknown) => void): () => void
}
