import fs from 'node:fs/promises'
import path from 'node:path'
import type { z } from 'zod'
import { commandSchemas, type CommandName, type CommandResponse, type StackView } from '../contract.js'
import type { CertificateCommands } from './certs/certificate-commands.js'
import type { CertificateManager } from './certs/certificate-manager.js'
import { diagnose } from './doctor/catalogue.js'
import { CodedError } from './error-codes.js'
import { exportStack } from './proxy/export/export-stack.js'
import { proxyDriver, proxyKinds } from './proxy/proxy-drivers.js'
import type { StackRunner } from './stack-runner.js'
import { proposeAppServer, readDotnetProject } from './stacks/dotnet-project.js'
import { parseStack } from './stacks/known-keys.js'
import { readStackFile, STACK_FILE_NAME } from './stacks/stack-file.js'
import type { Stack } from './stacks/stack-schema.js'
import type { AppTelemetry } from './telemetry/otlp/app-telemetry.js'
import { buildTimeline } from './telemetry/otlp/timeline.js'
import { replayRequest, replayTarget } from './telemetry/replay.js'
import { TRACE_BUFFER_SIZE, type Telemetry } from './telemetry/telemetry.js'

type ParsedRequest<C extends CommandName> = z.infer<(typeof commandSchemas)[C]['request']>
export type Handlers = { [C in CommandName]: (request: ParsedRequest<C>) => Promise<CommandResponse<C>> }

/** What the command table needs of the engine: its parts, and the operations that change its stacks. */
export interface CommandContext {
  dataDir: string
  telemetry: Telemetry
  appTelemetry: AppTelemetry
  certificates: CertificateManager
  certCommands: CertificateCommands
  runners(): StackRunner[]
  /** Stack files that failed to load. */
  problems(): { file: string; message: string }[]
  runnerFor(id: string): StackRunner
  /** Runs `op` after every earlier operation on the stack has settled. */
  serial<T>(id: string, op: () => Promise<T>): Promise<T>
  save(stack: Stack, create: boolean | undefined): Promise<StackView>
  importFile(stack: Stack, file: string): Promise<StackView>
  deleteStack(id: string): Promise<{ id: string; keptFile?: string }>
}

/** One handler per command of contract.ts, each taking its request already checked against the command's schema. */
export function commandHandlers(ctx: CommandContext): Handlers {
  /** An operation on one stack's runner, in that stack's queue; answers the stack's view after it. */
  const onRunner = (id: string, op: (runner: StackRunner) => Promise<unknown>) =>
    ctx.serial(id, async () => {
      const runner = ctx.runnerFor(id)
      await op(runner)
      return runner.view()
    })
  return {
    'stack:list': async () => ctx.runners().map((r) => r.view()).sort((a, b) => a.stack.name.localeCompare(b.stack.name)),
    'stack:get': async ({ id }) => ctx.runnerFor(id).view(),
    'stack:save': async ({ stack: input, create }) => {
      const stack = parseStack(input, 'The stack')
      return ctx.serial(stack.id, () => ctx.save(stack, create))
    },
    'stack:import': async ({ path: target }) => {
      const file = target.endsWith('.json') ? path.resolve(target) : path.join(path.resolve(target), STACK_FILE_NAME)
      if (!(await fs.stat(file).catch(() => undefined))) throw new CodedError('not-found', `${file} does not exist; a stack kept in a repository lives in ${STACK_FILE_NAME} at its root`)
      const stack = await readStackFile(file)
      return ctx.serial(stack.id, () => ctx.importFile(stack, file))
    },
    'stack:start': async ({ id }) => onRunner(id, (runner) => runner.start()),
    'stack:restart': async ({ id }) =>
      onRunner(id, async (runner) => {
        await runner.stop()
        await runner.start()
      }),
    'stack:delete': async ({ id }) => ctx.serial(id, () => ctx.deleteStack(id)),
    'appserver:restart': async ({ stackId, appServer }) => onRunner(stackId, (runner) => runner.restartAppServer(appServer)),
    'stack:doctor': async ({ id }) => ({ findings: diagnose({ view: ctx.runnerFor(id).view(), traces: ctx.telemetry.tailTraces(TRACE_BUFFER_SIZE, id), lines: ctx.telemetry.tailLogs(ctx.telemetry.logBufferLines, id) }) }),
    'instance:control': async ({ stackId, instance, action }) => onRunner(stackId, (runner) => runner.controlInstance(instance, action)),
    'stack:stop': async ({ id }) => onRunner(id, (runner) => runner.stop()),
    'cache:purge': async ({ stackId, path }) => ctx.serial(stackId, () => ctx.runnerFor(stackId).purgeCache(path)),
    'appserver:detect': async ({ folder, profile }) => {
      const project = await readDotnetProject(folder)
      const { appServer, notes } = proposeAppServer(project, profile)
      return { appServer, notes, profiles: project.profiles.map((p) => p.name) }
    },
    'cert:list': () => ctx.certCommands.list(),
    'cert:renew': ({ stackId }) => ctx.certCommands.renew(stackId),
    'cert:delete': async ({ stackId }) => {
      await ctx.certificates.remove(stackId)
      return {}
    },
    'cert:export': ({ stackId, format, password }) => ctx.certCommands.export(stackId, format, password),
    'cert:import': (request) => ctx.certCommands.import(request),
    'cert:set-domains': ({ domains }) => ctx.certCommands.setDomains(domains),
    'cert:trust': ({ action, includeSystem }) => ctx.certCommands.trust(action, includeSystem),
    'stack:export': async ({ id, to, params }) => exportStack(ctx.dataDir, ctx.runnerFor(id).stack, to, params),
    'engine:problems': async () => ctx.problems(),
    'proxy:kinds': async () => Promise.all(proxyKinds().map(async (kind) => ({ kind, ...(await proxyDriver(kind).detect()) }))),
    'log:tail': async ({ stackId, limit, afterSeq }) => ctx.telemetry.tailLogs(limit, stackId, afterSeq),
    'trace:list': async ({ stackId, limit }) => ctx.telemetry.tailTraces(limit, stackId),
    'trace:timeline': async ({ id }) => {
      const trace = ctx.telemetry.findTrace(id)
      if (!trace) throw new CodedError('not-found', `no trace ${id} (the engine keeps the newest ${TRACE_BUFFER_SIZE})`)
      return buildTimeline(trace, trace.traceId ? ctx.appTelemetry.timeline(trace.traceId) : { spans: [], logs: [] })
    },
    'trace:app-errors': async ({ stackId }) => ({ traceIds: ctx.appTelemetry.errorTraces(stackId) }),
    'trace:replay': async ({ traceId, instance }) => {
      const trace = ctx.telemetry.findTrace(traceId)
      if (!trace) throw new Error(`no trace "${traceId}" (the engine keeps the newest ${TRACE_BUFFER_SIZE})`)
      const target = await replayTarget(ctx.runnerFor(trace.stackId).view(), trace, instance, async () => (await ctx.certificates.ca()).certPem)
      return replayRequest(trace, target)
    },
  }
}
