import fs from 'node:fs/promises'
import type { z } from 'zod'
import path from 'node:path'
import {
  commandSchemas,
  type CommandName,
  type CommandRequest,
  type CommandResponse,
  type EngineApi,
  type EventName,
  type EventPayload,
  type StackView,
} from '../contract.js'
import { dataDir as defaultDataDir } from './paths.js'
import { StackRunner } from './stack-runner.js'
import { ProcessRegistry } from './supervisor/process-registry.js'
import { demoStack } from './stacks/demo-stack.js'
import { proposeAppServer, readDotnetProject } from './stacks/dotnet-project.js'
import { StackSchema, type Stack } from './stacks/stack-schema.js'
import { StackStore } from './stacks/stack-store.js'
import { LogFiles } from './telemetry/log-files.js'
import { Telemetry } from './telemetry/telemetry.js'
import { Emitter } from './util/emitter.js'
import { parseOrThrow } from './validation-error.js'

/** Written once the demo stack was offered, so that deleting it does not bring it back. */
const FIRST_RUN_MARKER = '.initialized'

type ParsedRequest<C extends CommandName> = z.infer<(typeof commandSchemas)[C]['request']>
type Handlers = { [C in CommandName]: (request: ParsedRequest<C>) => Promise<CommandResponse<C>> }

/**
 * The facade every face talks to: owns the stacks, their runners and the telemetry,
 * takes commands from contract.ts and emits its events.
 */
export class Engine implements EngineApi {
  readonly dataDir: string
  readonly store: StackStore
  readonly telemetry = new Telemetry()
  readonly registry: ProcessRegistry
  readonly logFiles: LogFiles
  private readonly runners = new Map<string, StackRunner>()
  private readonly emitters: { [E in EventName]: Emitter<EventPayload<E>> } = {
    'stack:state': new Emitter(),
    'log:lines': new Emitter(),
    'trace:batch': new Emitter(),
  }

  constructor(options: { dataDir?: string } = {}) {
    this.dataDir = options.dataDir ?? defaultDataDir()
    this.store = new StackStore(this.dataDir)
    this.registry = new ProcessRegistry(this.dataDir)
    this.logFiles = new LogFiles(path.join(this.dataDir, 'logs'))
    this.telemetry.onLogLines((lines) => this.logFiles.write(lines))
    this.telemetry.onLogLines((lines) => this.emitters['log:lines'].emit(lines))
    this.telemetry.onTraces((traces) => this.emitters['trace:batch'].emit(traces))
  }

  /** Creates the data directory and, on the very first run, the demo stack; loads every stack. */
  async init(): Promise<void> {
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 })
    const marker = path.join(this.dataDir, FIRST_RUN_MARKER)
    const firstRun = !(await fs.stat(marker).catch(() => undefined))
    if (firstRun) {
      await this.store.save(StackSchema.parse(demoStack()))
      await fs.writeFile(marker, new Date().toISOString() + '\n')
    }
    const reaped = await this.registry.reapSurvivors()
    if (reaped.length) this.telemetry.log('aerie', 'aerie', 'system', [`stopped ${reaped.length} process(es) left running by an earlier Aerie that did not shut down: ${reaped.map((r) => `${r.id} (pid ${r.pid})`).join(', ')}`])
    const { stacks, broken } = await this.store.list()
    for (const b of broken) this.telemetry.log('aerie', 'aerie', 'system', [`skipped a broken stack file: ${b.message}`])
    for (const stack of stacks) this.runnerFor(stack.id, stack)
  }

  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.emitters[name].subscribe(listener)
  }

  async invoke<C extends CommandName>(name: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
    const schema = commandSchemas[name]
    if (!schema) throw new Error(`unknown command "${String(name)}"`)
    const parsed = parseOrThrow(schema.request, request ?? {}, `The ${name} request`)
    return (this.handlers[name] as (r: unknown) => Promise<CommandResponse<C>>)(parsed)
  }

  /** Stops every stack; used on quit and on SIGTERM. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop().catch(() => undefined)))
    this.telemetry.flush()
    await this.registry.flushed()
    await this.logFiles.close()
  }

  private runnerFor(id: string, stack?: Stack): StackRunner {
    let runner = this.runners.get(id)
    if (!runner) {
      if (!stack) throw new Error(`no stack "${id}" (see \`aerie list\`)`)
      runner = new StackRunner(stack, { telemetry: this.telemetry, registry: this.registry, dataDir: this.dataDir, changed: (view) => this.emitters['stack:state'].emit(view) })
      this.runners.set(id, runner)
    }
    return runner
  }

  private readonly handlers: Handlers = {
    'stack:list': async () => [...this.runners.values()].map((r) => r.view()).sort((a, b) => a.stack.name.localeCompare(b.stack.name)),
    'stack:get': async ({ id }) => this.runnerFor(id).view(),
    'stack:save': async ({ stack: input }) => {
      const stack = parseOrThrow(StackSchema, input, 'The stack')
      const runner = this.runners.get(stack.id)
      if (runner?.isActive) throw new Error(`stack "${stack.id}" is running; stop it before saving changes`)
      await this.store.save(stack)
      if (runner) runner.stack = stack
      const view: StackView = this.runnerFor(stack.id, stack).view()
      this.emitters['stack:state'].emit(view)
      return view
    },
    'stack:start': async ({ id }) => {
      const runner = this.runnerFor(id)
      await runner.start()
      return runner.view()
    },
    'stack:stop': async ({ id }) => {
      const runner = this.runnerFor(id)
      await runner.stop()
      return runner.view()
    },
    'appserver:detect': async ({ folder, profile }) => {
      const project = await readDotnetProject(folder)
      const { appServer, notes } = proposeAppServer(project, profile)
      return { appServer, notes, profiles: project.profiles.map((p) => p.name) }
    },
    'log:tail': async ({ stackId, limit }) => this.telemetry.tailLogs(limit, stackId),
    'trace:list': async ({ stackId, limit }) => this.telemetry.tailTraces(limit, stackId),
  }
}
