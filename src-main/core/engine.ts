import { sampleUsage } from './supervisor/process-usage.js'
import fs from 'node:fs/promises'
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
import { commandHandlers, type Handlers } from './engine-commands.js'
import { ProcessRegistry } from './supervisor/process-registry.js'
import { demoStack } from './stacks/demo-stack.js'
import { StackSchema, type Stack } from './stacks/stack-schema.js'
import { readStackFile, writeStackFileEdits } from './stacks/stack-file.js'
import { watchStackFile } from './stacks/stack-file-watcher.js'
import { StackStore } from './stacks/stack-store.js'
import { CertificateCommands } from './certs/certificate-commands.js'
import { CertificateManager, LOOPBACK_NAMES } from './certs/certificate-manager.js'
import { LogFiles } from './telemetry/log-files.js'
import { Telemetry } from './telemetry/telemetry.js'
import { AppTelemetry } from './telemetry/otlp/app-telemetry.js'
import { OtlpReceiver } from './telemetry/otlp/otlp-receiver.js'
import { Emitter } from './util/emitter.js'
import { parseOrThrow, ValidationError } from './validation-error.js'
import { CodedError } from './error-codes.js'

/** How often the running instances' CPU and memory are read (and sent to the faces). */
const USAGE_SAMPLE_MS = 2_000

/** Running HTTPS stacks are checked this often for a certificate that needs renewing (30 days ahead: hours are plenty). */
const CERT_RENEWAL_CHECK_MS = 6 * 60 * 60 * 1000



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

  /** The command table, made on the first command. */
  private handlers?: Handlers
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
    this.handlers ??= commandHandlers({
      dataDir: this.dataDir,
      telemetry: this.telemetry,
      appTelemetry: this.appTelemetry,
      certificates: this.certificates,
      certCommands: this.certCommands,
      runners: () => [...this.runners.values()],
      problems: () => this.problems,
      runnerFor: (id) => this.runnerFor(id),
      serial: (id, op) => this.serial(id, op),
      save: (stack, create) => this.save(stack, create),
      importFile: (stack, file) => this.importFile(stack, file),
      deleteStack: (id) => this.deleteStack(id),
    })
    return (this.handlers[name] as (r: unknown) => Promise<CommandResponse<C>>)(parsed)
  }

  private sampleUsage(): void {
    const runners = [...this.runners.values()].filter((r) => r.isActive)
    sampleUsage(runners.flatMap((r) => r.runningPids()))
    for (const runner of runners) runner.publishUsage()
  }

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

  /** Stops every stack; used on quit and on SIGTERM. */
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

  /** Removes a stopped stack and everything that was its (a kept aerie.stack.json stays where it is). */
  private async deleteStack(id: string): Promise<{ id: string; keptFile?: string }> {
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
}
