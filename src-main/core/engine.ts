import { diagnose } from './doctor/catalogue.js'
import { replayRequest, replayTarget } from './telemetry/replay.js'
import { sampleUsage } from './supervisor/process-usage.js'
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
import { dataLayout, stackArtifacts, type DataLayout } from './data-layout.js'
import { acquireEngineLock, publishEngineLock, releaseEngineLock, type EngineFace } from './engine-lock.js'
import { StackRunner } from './stack-runner.js'
import { ProcessRegistry } from './supervisor/process-registry.js'
import { demoStack } from './stacks/demo-stack.js'
import { proposeAppServer, readDotnetProject } from './stacks/dotnet-project.js'
import { parseStack } from './stacks/known-keys.js'
import { StackSchema, type Stack } from './stacks/stack-schema.js'
import { readStackFile, STACK_FILE_NAME, writeStackFileEdits } from './stacks/stack-file.js'
import { watchStackFile } from './stacks/stack-file-watcher.js'
import { StackStore } from './stacks/stack-store.js'
import { exportStack } from './proxy/export/export-stack.js'
import { proxyDriver, proxyKinds } from './proxy/proxy-drivers.js'
import { CertificateCommands } from './certs/certificate-commands.js'
import { CertificateManager, LOOPBACK_NAMES } from './certs/certificate-manager.js'
import { LogFiles } from './telemetry/log-files.js'
import { Telemetry, TRACE_BUFFER_SIZE } from './telemetry/telemetry.js'
import { AppTelemetry } from './telemetry/otlp/app-telemetry.js'
import { OtlpReceiver } from './telemetry/otlp/otlp-receiver.js'
import { buildTimeline } from './telemetry/otlp/timeline.js'
import { Emitter } from './util/emitter.js'
import { parseOrThrow, ValidationError } from './validation-error.js'
import { CodedError } from './error-codes.js'

/** How often the running instances' CPU and memory are read (and sent to the faces). */
const USAGE_SAMPLE_MS = 2_000

/** Running HTTPS stacks are checked this often for a certificate that needs renewing (30 days ahead: hours are plenty). */
const CERT_RENEWAL_CHECK_MS = 6 * 60 * 60 * 1000


type ParsedRequest<C extends CommandName> = z.infer<(typeof commandSchemas)[C]['request']>
type Handlers = { [C in CommandName]: (request: ParsedRequest<C>) => Promise<CommandResponse<C>> }

/**
 * The facade every face talks to: owns the stacks, their runners and the telemetry,
 * takes commands from contract.ts and emits its events.
 */
export class Engine implements EngineApi {
  readonly dataDir: string
  readonly store: StackStore
  readonly telemetry: Telemetry
  /** The apps' own spans and log records, which their OpenTelemetry SDKs send to `otlp`. */
  readonly appTelemetry = new AppTelemetry()
  readonly otlp: OtlpReceiver
  private otlpListening = false
  readonly registry: ProcessRegistry
  readonly logFiles: LogFiles
  readonly certificates: CertificateManager
  private readonly certCommands: CertificateCommands
  private readonly runners = new Map<string, StackRunner>()
  /** Per stack id: the tail of its operations, run one after the other (save, file edit, start, stop, restart, delete…). */
  private readonly queues = new Map<string, Promise<unknown>>()
  private readonly unwatch = new Map<string, () => void>()
  private problems: { file: string; message: string }[] = []
  private renewalTimer?: NodeJS.Timeout
  private usageTimer?: NodeJS.Timeout
  private readonly emitters: { [E in EventName]: Emitter<EventPayload<E>> } = {
    'stack:state': new Emitter(),
    'stack:deleted': new Emitter(),
    'process:state': new Emitter(),
    'log:lines': new Emitter(),
    'trace:batch': new Emitter(),
    // Never emitted by the engine: the headless face sends it to a client it dropped events for.
    'stream:dropped': new Emitter(),
  }

  private readonly face: EngineFace
  private readonly layout: DataLayout
  private locked = false

  /** `now` is injectable so that tests can move the clock (certificate renewal). */
  constructor(options: { dataDir?: string; now?: () => Date; face?: EngineFace; logBufferLines?: number } = {}) {
    this.dataDir = options.dataDir ?? defaultDataDir()
    this.telemetry = new Telemetry(options.logBufferLines ?? (process.env.AERIE_LOG_BUFFER_LINES ? Number(process.env.AERIE_LOG_BUFFER_LINES) : undefined))
    this.face = options.face ?? 'embedded'
    this.layout = dataLayout(this.dataDir)
    this.store = new StackStore(this.dataDir)
    this.registry = new ProcessRegistry(this.dataDir)
    this.logFiles = new LogFiles(this.layout.logsDir)
    this.certificates = new CertificateManager(this.dataDir, options.now)
    this.certCommands = new CertificateCommands(
      this.certificates,
      (id) => this.runnerFor(id).stack.hostnames,
      (id) => this.runnerFor(id).stack.proxy.tlsKeyKind,
    )
    this.otlp = new OtlpReceiver(this.appTelemetry, (message) => this.telemetry.log('aerie', 'aerie', 'system', [message]))
    this.telemetry.onLogLines((lines) => this.logFiles.write(lines))
    this.telemetry.onLogLines((lines) => this.emitters['log:lines'].emit(lines))
    this.telemetry.onTraces((traces) => this.emitters['trace:batch'].emit(traces))
    this.telemetry.pushTracesWhen(() => this.emitters['trace:batch'].hasListeners)
  }

  /**
   * Takes the data directory (one engine per data directory: a second one is refused with
   * EngineBusyError before it touches any file or process), then on the very first run creates
   * the demo stack, reaps what a killed engine left running and loads every stack.
   */
  async init(): Promise<void> {
    await acquireEngineLock(this.dataDir, this.face)
    this.locked = true
    try {
      // Before any stack runs: its instances are given the receiver's endpoint.
      await this.otlp.start().then(
        () => (this.otlpListening = true),
        (err: Error) => this.telemetry.log('aerie', 'aerie', 'system', [`the OTLP receiver did not start (${err.message}); apps' own traces will not show`]),
      )
      await this.load()
    } catch (err) {
      await this.otlp.stop()
      await this.releaseLock()
      throw err
    }
  }

  /** Once the engine's loopback API listens: the CLI finds it through the lock. */
  publish(api: { port: number; token: string }): Promise<void> {
    return publishEngineLock(this.dataDir, api)
  }

  private async releaseLock(): Promise<void> {
    if (this.locked) await releaseEngineLock(this.dataDir)
    this.locked = false
  }

  private async load(): Promise<void> {
    const marker = this.layout.firstRunMarker
    const firstRun = !(await fs.stat(marker).catch(() => undefined))
    if (firstRun) {
      await this.store.save(StackSchema.parse(demoStack()))
      await fs.writeFile(marker, new Date().toISOString() + '\n')
    }
    const { removed } = await this.store.tidy()
    if (removed.length) this.telemetry.log('aerie', 'aerie', 'system', [`removed ${removed.length} temp file(s) of stack writes that never finished: ${removed.join(', ')}`])
    const reaped = await this.registry.reapSurvivors()
    if (reaped.length) this.telemetry.log('aerie', 'aerie', 'system', [`stopped ${reaped.length} process(es) left running by an earlier Aerie that did not shut down: ${reaped.map((r) => `${r.id} (pid ${r.pid})`).join(', ')}`])
    const { stacks, broken } = await this.store.list()
    const linked = await this.store.listLinked()
    this.problems = [...broken, ...linked.broken]
    for (const b of this.problems) this.telemetry.log('aerie', 'aerie', 'system', [`skipped a broken stack file: ${b.message}`])
    for (const stack of stacks) this.runnerFor(stack.id, stack)
    for (const { stack, file } of linked.stacks) this.attachFile(this.runnerFor(stack.id, stack), file)
    this.renewalTimer = setInterval(() => void this.renewCertificates().catch(() => undefined), CERT_RENEWAL_CHECK_MS)
    this.renewalTimer.unref()
    this.usageTimer = setInterval(() => this.sampleUsage(), USAGE_SAMPLE_MS)
    this.usageTimer.unref()
  }

  /** Ties a runner to its aerie.stack.json and applies edits made to that file in an editor. */
  private attachFile(runner: StackRunner, file: string): void {
    runner.source = file
    this.unwatch.get(runner.stack.id)?.()
    this.unwatch.set(runner.stack.id, watchStackFile(file, () => void this.serial(runner.stack.id, () => this.reloadFile(runner, file))))
  }

  private async reloadFile(runner: StackRunner, file: string): Promise<void> {
    const id = runner.stack.id
    try {
      const stack = await readStackFile(file)
      if (stack.id !== id) throw new Error(`${file}: "id" changed from "${id}" to "${stack.id}"; a linked stack keeps its id (import the file again to make a new stack)`)
      runner.configError = undefined
      if (JSON.stringify(stack) === JSON.stringify(runner.stack)) return this.emitters['stack:state'].emit(runner.view())
      await this.apply(runner, stack, `applied the edit to ${file}`)
    } catch (err) {
      runner.configError = (err as Error).message
      this.telemetry.log(id, 'aerie', 'system', [`kept the last valid config: ${runner.configError}`])
      this.emitters['stack:state'].emit(runner.view())
    }
  }

  /** Replaces a stack's config: a running stack reloads its proxy gracefully when it can, else restarts. */
  private async apply(runner: StackRunner, stack: Stack, what: string): Promise<string> {
    const how = await runner.applyChange(stack)
    runner.lastChange = `${what}: ${how}`
    this.telemetry.log(stack.id, 'aerie', 'system', [runner.lastChange])
    this.emitters['stack:state'].emit(runner.view())
    return how
  }

  /**
   * Runs `op` after every earlier operation on stack `id` has settled, so that no two operations
   * on one stack interleave (a stop 30 ms after a save waits for the save). Operations on
   * different stacks still run side by side.
   */
  private serial<T>(id: string, op: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(id) ?? Promise.resolve()).catch(() => undefined).then(op)
    const tail = run.catch(() => undefined)
    this.queues.set(id, tail)
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id)
    })
    return run
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

  private sampleUsage(): void {
    const runners = [...this.runners.values()].filter((r) => r.isActive)
    sampleUsage(runners.flatMap((r) => r.runningPids()))
    for (const runner of runners) runner.publishUsage()
  }

  /** Stops every stack; used on quit and on SIGTERM. */
  /**
   * Renews the certificate of every running HTTPS stack that needs it (fewer than 30 days
   * left, or a host name it does not cover) by restarting that stack, which issues a new one.
   */
  async renewCertificates(): Promise<string[]> {
    const renewed: string[] = []
    for (const runner of this.runners.values()) {
      const { stack } = runner
      if (!runner.isActive || stack.proxy.httpsPort === undefined) continue
      const current = await this.certificates.read(stack.id)
      const names = [...new Set([...stack.hostnames, ...LOOPBACK_NAMES])]
      const reason = current ? this.certificates.renewalReason(current, names) : 'there is none'
      if (!reason) continue
      this.telemetry.log(stack.id, 'aerie', 'system', [`the certificate needs renewing (${reason}); restarting the stack to use a new one`])
      await this.serial(stack.id, async () => {
        await runner.stop()
        await runner.start().catch(() => undefined)
      })
      renewed.push(stack.id)
    }
    return renewed
  }

  async shutdown(): Promise<void> {
    clearInterval(this.renewalTimer)
    clearInterval(this.usageTimer)
    this.unwatch.forEach((stop) => stop())
    this.unwatch.clear()
    await Promise.all([...this.runners.values()].map((r) => r.stop().catch(() => undefined)))
    this.telemetry.flush()
    await this.registry.flushed()
    await this.otlp.stop()
    await this.logFiles.close()
    await this.releaseLock()
  }

  private runnerFor(id: string, stack?: Stack): StackRunner {
    let runner = this.runners.get(id)
    if (!runner) {
      if (!stack) throw new CodedError('not-found', `no stack "${id}" (see \`aerie list\`)`)
      runner = new StackRunner(stack, { telemetry: this.telemetry, registry: this.registry, certificates: this.certificates, dataDir: this.dataDir, changed: (view) => this.emitters['stack:state'].emit(view), processChanged: (view) => this.emitters['process:state'].emit(view), otlp: this.otlpListening ? this.otlp : undefined })
      this.runners.set(id, runner)
    }
    return runner
  }

  /** A new stack never replaces one: not a loaded stack, an imported one, nor a file in the data directory that failed to load. */
  private async refuseTakenId(id: string): Promise<void> {
    const taken = async (candidate: string) => this.runners.has(candidate) || Boolean(await fs.stat(this.store.fileOf(candidate)).catch(() => undefined))
    if (!(await taken(id))) return
    let n = 2
    while (await taken(`${id}-${n}`)) n++
    const where = this.runners.get(id)?.source
    throw new ValidationError('The stack', [{ path: 'id', message: `"${id}" is taken by another stack${where ? ` (imported from ${where})` : ''}; pick another id, e.g. "${id}-${n}"` }])
  }

  private async save(stack: Stack, create: boolean | undefined): Promise<StackView> {
    if (create) await this.refuseTakenId(stack.id)
    const runner = this.runners.get(stack.id)
    if (!runner) {
      await this.store.save(stack)
      const view: StackView = this.runnerFor(stack.id, stack).view()
      this.emitters['stack:state'].emit(view)
      return view
    }
    const previous = runner.stack
    // Applied first: a change that is refused (a port, the build, the proxy's validator) leaves the saved stack and every process as they were.
    await this.apply(runner, stack, `saved ${runner.source ?? 'the stack'}`)
    if (runner.source) await writeStackFileEdits(runner.source, previous, stack)
    else await this.store.save(stack)
    runner.configError = undefined
    return runner.view()
  }

  private async importFile(stack: Stack, file: string): Promise<StackView> {
    // Importing the same file again refreshes it; any other stack with that id (loaded, imported, or a file that failed to load) is never replaced.
    if (this.runners.get(stack.id)?.source !== file) {
      await this.refuseTakenId(stack.id).catch((err: Error) => {
        throw err instanceof ValidationError ? new Error(`${file}: "id" ${err.issues[0].message}`) : err
      })
    }
    await this.store.link(stack.id, file)
    const runner = this.runnerFor(stack.id, stack)
    runner.stack = stack
    this.attachFile(runner, file)
    const view = runner.view()
    this.emitters['stack:state'].emit(view)
    return view
  }

  private readonly handlers: Handlers = {
    'stack:list': async () => [...this.runners.values()].map((r) => r.view()).sort((a, b) => a.stack.name.localeCompare(b.stack.name)),
    'stack:get': async ({ id }) => this.runnerFor(id).view(),
    'stack:save': async ({ stack: input, create }) => {
      const stack = parseStack(input, 'The stack')
      return this.serial(stack.id, () => this.save(stack, create))
    },
    'stack:import': async ({ path: target }) => {
      const file = target.endsWith('.json') ? path.resolve(target) : path.join(path.resolve(target), STACK_FILE_NAME)
      if (!(await fs.stat(file).catch(() => undefined))) throw new CodedError('not-found', `${file} does not exist; a stack kept in a repository lives in ${STACK_FILE_NAME} at its root`)
      const stack = await readStackFile(file)
      return this.serial(stack.id, () => this.importFile(stack, file))
    },
    'stack:start': async ({ id }) => {
      return this.serial(id, async () => {
        const runner = this.runnerFor(id)
        await runner.start()
        return runner.view()
      })
    },
    'stack:restart': async ({ id }) => {
      return this.serial(id, async () => {
        const runner = this.runnerFor(id)
        await runner.stop()
        await runner.start()
        return runner.view()
      })
    },
    'stack:delete': async ({ id }) => {
      return this.serial(id, async () => {
        const runner = this.runnerFor(id)
        if (runner.isActive) throw new Error(`stack "${id}" is running; stop it before deleting it`)
        const keptFile = runner.source
        if (keptFile) await this.store.unlink(id)
        else await this.store.remove(id)
        this.unwatch.get(id)?.()
        this.unwatch.delete(id)
        this.runners.delete(id)
        // Everything else that was this stack's: ports, builds, proxy configs, logs, traces, exports, certificate.
        // Lines still batched are written first, so that none lands in a folder being removed.
        this.telemetry.flush()
        await this.logFiles.closeStack(id)
        for (const artifact of await stackArtifacts(this.layout, id)) await fs.rm(artifact, { recursive: true, force: true, maxRetries: 3 })
        this.emitters['stack:deleted'].emit({ id })
        return keptFile ? { id, keptFile } : { id }
      })
    },
    'appserver:restart': async ({ stackId, appServer }) => {
      return this.serial(stackId, async () => {
        const runner = this.runnerFor(stackId)
        await runner.restartAppServer(appServer)
        return runner.view()
      })
    },
    'stack:doctor': async ({ id }) => ({ findings: diagnose({ view: this.runnerFor(id).view(), traces: this.telemetry.tailTraces(TRACE_BUFFER_SIZE, id), lines: this.telemetry.tailLogs(this.telemetry.logBufferLines, id) }) }),
    'instance:control': async ({ stackId, instance, action }) => {
      return this.serial(stackId, async () => {
        const runner = this.runnerFor(stackId)
        await runner.controlInstance(instance, action)
        return runner.view()
      })
    },
    'stack:stop': async ({ id }) => {
      return this.serial(id, async () => {
        const runner = this.runnerFor(id)
        await runner.stop()
        return runner.view()
      })
    },
    'cache:purge': async ({ stackId, path }) => this.serial(stackId, () => this.runnerFor(stackId).purgeCache(path)),
    'appserver:detect': async ({ folder, profile }) => {
      const project = await readDotnetProject(folder)
      const { appServer, notes } = proposeAppServer(project, profile)
      return { appServer, notes, profiles: project.profiles.map((p) => p.name) }
    },
    'cert:list': () => this.certCommands.list(),
    'cert:renew': ({ stackId }) => this.certCommands.renew(stackId),
    'cert:delete': async ({ stackId }) => {
      await this.certificates.remove(stackId)
      return {}
    },
    'cert:export': ({ stackId, format, password }) => this.certCommands.export(stackId, format, password),
    'cert:import': (request) => this.certCommands.import(request),
    'cert:set-domains': ({ domains }) => this.certCommands.setDomains(domains),
    'cert:trust': ({ action, includeSystem }) => this.certCommands.trust(action, includeSystem),
    'stack:export': async ({ id, to, params }) => exportStack(this.dataDir, this.runnerFor(id).stack, to, params),
    'engine:problems': async () => this.problems,
    'proxy:kinds': async () => Promise.all(proxyKinds().map(async (kind) => ({ kind, ...(await proxyDriver(kind).detect()) }))),
    'log:tail': async ({ stackId, limit, afterSeq }) => this.telemetry.tailLogs(limit, stackId, afterSeq),
    'trace:list': async ({ stackId, limit }) => this.telemetry.tailTraces(limit, stackId),
    'trace:timeline': async ({ id }) => {
      const trace = this.telemetry.findTrace(id)
      if (!trace) throw new CodedError('not-found', `no trace ${id} (the engine keeps the newest ${TRACE_BUFFER_SIZE})`)
      return buildTimeline(trace, trace.traceId ? this.appTelemetry.timeline(trace.traceId) : { spans: [], logs: [] })
    },
    'trace:app-errors': async ({ stackId }) => ({ traceIds: this.appTelemetry.errorTraces(stackId) }),
    'trace:replay': async ({ traceId, instance }) => {
      const trace = this.telemetry.findTrace(traceId)
      if (!trace) throw new Error(`no trace "${traceId}" (the engine keeps the newest ${TRACE_BUFFER_SIZE})`)
      const target = await replayTarget(this.runnerFor(trace.stackId).view(), trace, instance, async () => (await this.certificates.ca()).certPem)
      return replayRequest(trace, target)
    },
  }
}
