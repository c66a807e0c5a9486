import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DEFAULT_RESTART_POLICY, nextRestartDelay } from '../../../supervisor/restart-policy.js'
import type { ProxyHooks, ProxyPlan } from '../../proxy-driver.js'
import { toWirePlan, upstreamStates, type HostCommand, type HostEvent } from './host-protocol.js'
import { decodeTraces } from '../../../telemetry/trace-wire.js'
import { CodedError, type ErrorCode } from '../../../error-codes.js'

/**
 * How often instance states are compared and, when changed, sent to the proxy process. The engine also
 * pushes every change as it happens (instancesChanged); this catches states that change without an event.
 */
const STATE_SYNC_MS = 100
/** The proxy process must say it is ready within this (a tsx-run source tree takes about 0.5 s). */
const READY_TIMEOUT_MS = 15_000
/** A command (attach, update, detach) must be answered within this. */
const COMMAND_TIMEOUT_MS = 15_000

/** The proxy process's entry: the TypeScript source through tsx in a source tree, the built file next to the bundle otherwise. */
function hostEntry(): { file: string; execArgv: string[] } {
  // The bench runs the engine from its sources but the proxy process as it ships (the built file, as `aerie serve` runs it).
  const chosen = process.env.AERIE_PROXY_HOST_FILE
  if (chosen) return { file: chosen, execArgv: [] }
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href
    return { file: fileURLToPath(new URL('./proxy-host.ts', here)), execArgv: ['--import', tsx] }
  }
  for (const candidate of ['./proxy-host.js', '../proxy-host.js']) {
    const file = fileURLToPath(new URL(candidate, here))
    if (fs.existsSync(file)) return { file, execArgv: [] }
  }
  throw new Error(`the built-in proxy's process entry (proxy-host.js) is missing next to ${fileURLToPath(here)}`)
}

/** AERIE_PROXY_CPU_PROFILE=<folder>: the proxy process writes a V8 CPU profile there when it ends (for working on the proxy's speed). */
/**
 * The proxy process's V8 young generation: semi-spaces of up to 32 MiB instead of the size V8 picks. Every
 * request leaves short-lived objects; fewer scavenges measured +15 % req/s at full load here (paired runs
 * against the same build without it) for about 35 MB more RSS under load.
 */
const PROXY_V8_FLAGS = ['--max-semi-space-size=32']

function profiling(): string[] {
  const dir = process.env.AERIE_PROXY_CPU_PROFILE
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

interface Entry {
  plan: ProxyPlan
  hooks: ProxyHooks
  states: string
}

/**
 * The engine's side of the built-in proxy's own process: started with the first stack, ended with
 * the last, restarted with backoff when it dies (every stack attached again), fed each stack's plan
 * and instance states, and turning its log lines and traces back into each stack's hooks.
 */
export class ProxyHostClient {
  private child?: ChildProcess
  private starting?: Promise<ChildProcess>
  private readonly stacks = new Map<string, Entry>()
  private readonly pending = new Map<number, { resolve: (value?: number) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>()
  private nextId = 1
  private crashes: number[] = []
  private restartTimer?: NodeJS.Timeout
  private stateTimer?: NodeJS.Timeout

  /** The proxy process's pid, while it runs. */
  pid(): number | undefined {
    return this.child?.pid
  }

  async attach(key: string, plan: ProxyPlan, hooks: ProxyHooks): Promise<void> {
    const entry = { plan, hooks, states: '' }
    this.stacks.set(key, entry)
    try {
      await this.send(this.attachCommand(key, entry))
    } catch (err) {
      this.stacks.delete(key)
      if (!this.stacks.size) this.shutDown()
      throw err
    }
    this.stateTimer ??= setInterval(() => this.syncStates(), STATE_SYNC_MS).unref()
  }

  async update(key: string, plan: ProxyPlan): Promise<void> {
    const entry = this.stacks.get(key)
    if (!entry) throw new Error(`stack ${key} is not on the built-in proxy`)
    // Kept only once the proxy process took it: a refused plan (a port taken, a host name served by another stack) changes nothing.
    await this.send({ type: 'update', id: 0, key, plan: toWirePlan(plan), states: upstreamStates(plan) })
    entry.plan = plan
    entry.states = JSON.stringify(upstreamStates(plan))
  }

  /** Empties one stack's response cache (under a path prefix, when given); resolves how many answers went. */
  async purgeCache(key: string, prefix?: string): Promise<number> {
    return (await this.send({ type: 'purge', id: 0, key, prefix })) ?? 0
  }

  async detach(key: string): Promise<void> {
    if (!this.stacks.delete(key)) return
    if (this.child?.connected) await this.send({ type: 'detach', id: 0, key }).catch(() => undefined)
    if (!this.stacks.size) this.shutDown()
  }

  /** True when some stack on the proxy listens on host:port (another stack can share it by host name). */
  listensOn(host: string, port: number): boolean {
    for (const { plan } of this.stacks.values()) if (plan.listenHost === host && (plan.httpPort === port || plan.httpsPort === port)) return true
    return false
  }

  private attachCommand(key: string, entry: Entry): HostCommand {
    const states = upstreamStates(entry.plan)
    entry.states = JSON.stringify(states)
    return { type: 'attach', id: 0, key, plan: toWirePlan(entry.plan), states }
  }

  private async send(command: HostCommand): Promise<number | undefined> {
    const child = await this.ensureChild()
    if (!('id' in command)) return void child.send(command)
    const id = this.nextId++
    return new Promise<number | undefined>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, `the built-in proxy process did not answer ${command.type} within ${COMMAND_TIMEOUT_MS} ms`), COMMAND_TIMEOUT_MS)
      this.pending.set(id, { resolve, reject, timer })
      child.send({ ...command, id })
    })
  }

  private settle(id: number, error?: string, value?: number, code?: ErrorCode): void {
    const waiter = this.pending.get(id)
    if (!waiter) return
    this.pending.delete(id)
    clearTimeout(waiter.timer)
    if (error) waiter.reject(new CodedError(code ?? 'failed', error))
    else waiter.resolve(value)
  }

  private ensureChild(): Promise<ChildProcess> {
    if (this.child?.connected) return Promise.resolve(this.child)
    this.starting ??= this.spawn().finally(() => (this.starting = undefined))
    return this.starting
  }

  private spawn(): Promise<ChildProcess> {
    const { file, execArgv } = hostEntry()
    // Inside Electron, process.execPath is the app: this makes it run the file as plain Node.
    const env = process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env
    const child = fork(file, [], { execArgv: [...execArgv, ...PROXY_V8_FLAGS, ...profiling()], env, serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    const relay = (chunk: Buffer) => this.logAll(chunk.toString('utf8').split('\n').filter(Boolean).map((l) => `built-in proxy process: ${l}`))
    child.stdout?.on('data', relay)
    child.stderr?.on('data', relay)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`the built-in proxy process did not start within ${READY_TIMEOUT_MS} ms`))
      }, READY_TIMEOUT_MS)
      child.on('message', (event: HostEvent) => {
        if (event.type === 'ready') {
          clearTimeout(timer)
          this.child = child
          resolve(child)
        } else this.onEvent(event)
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(new Error(`the built-in proxy process could not start: ${err.message}`))
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`the built-in proxy process exited at start (${signal ?? `code ${code}`})`))
        this.onExit(child, code, signal)
      })
    })
  }

  private onEvent(event: HostEvent): void {
    if (event.type === 'reply') return this.settle(event.id, event.error, event.value, event.code)
    if (event.type === 'ready') return
    const entry = this.stacks.get(event.key)
    if (!entry) return
    if (event.type === 'log') entry.hooks.log(event.lines)
    else if (entry.hooks.traceBatch) entry.hooks.traceBatch(event.batch)
    else for (const t of decodeTraces(event.batch)) entry.hooks.trace(t)
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child && this.child !== undefined) return
    this.child = undefined
    for (const id of [...this.pending.keys()]) this.settle(id, `the built-in proxy process exited (${signal ?? `code ${code}`})`)
    if (!this.stacks.size) return
    const now = Date.now()
    this.crashes.push(now)
    const delay = nextRestartDelay(this.crashes, now, DEFAULT_RESTART_POLICY)
    if (delay === undefined) {
      this.logAll([`built-in proxy process exited (${signal ?? `code ${code}`}) ${this.crashes.length} times within a minute; not restarting it: stop and start the stack to try again`])
      return
    }
    this.logAll([`built-in proxy process exited (${signal ?? `code ${code}`}); restarting it in ${delay} ms`])
    this.restartTimer = setTimeout(() => void this.restart(), delay)
  }

  /** A new process with every stack attached again, as they were. */
  private async restart(): Promise<void> {
    this.restartTimer = undefined
    for (const [key, entry] of this.stacks) {
      try {
        await this.send(this.attachCommand(key, entry))
        entry.hooks.log(['built-in proxy process restarted; serving again'])
      } catch (err) {
        entry.hooks.log([`built-in proxy process restarted, but this stack could not be served: ${(err as Error).message}`])
      }
    }
  }

  /** Sends the instance states of one stack (or all) that changed since they were last sent. */
  syncStates(only?: string): void {
    if (!this.child?.connected) return
    for (const [key, entry] of this.stacks) {
      if (only !== undefined && key !== only) continue
      const states = upstreamStates(entry.plan)
      const text = JSON.stringify(states)
      if (text === entry.states) continue
      entry.states = text
      this.child.send({ type: 'states', key, states } satisfies HostCommand)
    }
  }

  private logAll(lines: string[]): void {
    for (const { hooks } of this.stacks.values()) hooks.log(lines)
  }

  /** No stack left: the process ends (closing the channel makes it exit), and so do the timers. */
  private shutDown(): void {
    clearInterval(this.stateTimer)
    this.stateTimer = undefined
    clearTimeout(this.restartTimer)
    this.restartTimer = undefined
    this.crashes = []
    const child = this.child
    this.child = undefined
    if (child?.connected) child.disconnect()
  }
}

/** One proxy process per engine process: every stack on the built-in proxy shares its listeners. */
export const proxyHost = new ProxyHostClient()
