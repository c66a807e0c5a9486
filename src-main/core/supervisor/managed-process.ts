import fs from 'node:fs'
import * as pty from 'node-pty'
import { Emitter } from '../util/emitter.js'
import { LineSplitter } from '../util/line-splitter.js'
import { waitUntilReady, type ReadinessCheck } from './readiness.js'
import { resolveCommand } from './resolve-command.js'

/** How long a stopping process gets after SIGTERM before its group is killed. */
export const DEFAULT_STOP_GRACE_MS = 10_000
/** After SIGKILL, how long to wait for the exit report before giving up on it. */
const KILL_CONFIRM_MS = 2_000
/** Terminal size the child sees; wide enough that servers do not wrap their log lines. */
const PTY_COLS = 200
const PTY_ROWS = 50

export type ProcessState = 'stopped' | 'starting' | 'running' | 'stopping' | 'crashed' | 'backoff' | 'failed'

export interface ProcessSpec {
  /** `<stack>/<appServer>#<instance>` */
  id: string
  command: string
  args: string[]
  cwd: string
  env: Record<string, string>
  port: number
  readiness: ReadinessCheck
  stopGraceMs?: number
}

export interface ProcessStatus {
  state: ProcessState
  pid?: number
  port: number
  startedAt?: number
  readyAt?: number
  exitCode?: number
  signal?: number
  error?: string
}

/**
 * One supervised child under a pseudo-terminal. States:
 * stopped → starting → running → stopping → stopped, or → crashed when it exits on its own.
 * The child leads its own process group (forkpty makes it a session leader), so stop
 * signals reach everything it spawned (e.g. `dotnet run` and the app it starts).
 */
export class ManagedProcess {
  private readonly stateEmitter = new Emitter<ProcessStatus>()
  private readonly outputEmitter = new Emitter<string[]>()
  readonly onState = this.stateEmitter.subscribe
  readonly onOutput = this.outputEmitter.subscribe

  private child?: pty.IPty
  private status: ProcessStatus
  private exited?: Promise<void>
  private abortReadiness?: AbortController

  constructor(readonly spec: ProcessSpec) {
    this.status = { state: 'stopped', port: spec.port }
  }

  get current(): ProcessStatus {
    return { ...this.status }
  }

  /** Spawns the child and resolves once it passes its readiness check; rejects (state crashed) otherwise. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.spec.id} is already ${this.status.state}`)
    const { spec } = this
    let child: pty.IPty
    try {
      if (!fs.statSync(spec.cwd, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`working directory ${spec.cwd} does not exist`)
      child = pty.spawn(resolveCommand(spec.command, spec.env, spec.cwd), spec.args, {
        name: 'xterm-256color',
        cols: PTY_COLS,
        rows: PTY_ROWS,
        cwd: spec.cwd,
        env: spec.env,
      })
    } catch (err) {
      this.setStatus({ state: 'crashed', port: spec.port, error: `could not start: ${(err as Error).message}` })
      throw new Error(`${spec.id} ${this.status.error}`)
    }
    this.child = child
    this.setStatus({ state: 'starting', pid: child.pid, port: spec.port, startedAt: Date.now() })

    const lines = new LineSplitter()
    child.onData((chunk) => {
      const out = lines.push(chunk)
      if (out.length) this.outputEmitter.emit(out)
    })
    this.exited = new Promise((resolve) => {
      child.onExit(({ exitCode, signal }) => {
        const rest = lines.flush()
        if (rest.length) this.outputEmitter.emit(rest)
        this.killGroup('SIGKILL') // anything the child left behind in its group
        this.child = undefined
        this.abortReadiness?.abort()
        const wasStopping = this.status.state === 'stopping'
        this.setStatus({
          state: wasStopping ? 'stopped' : 'crashed',
          port: spec.port,
          exitCode,
          signal: signal || undefined,
          startedAt: this.status.startedAt,
          error: wasStopping ? undefined : `exited with ${signal ? `signal ${signal}` : `code ${exitCode}`}`,
        })
        resolve()
      })
    })

    this.abortReadiness = new AbortController()
    try {
      await waitUntilReady(spec.port, spec.readiness, this.abortReadiness.signal)
    } catch (err) {
      if (this.child) {
        const message = (err as Error).message
        await this.stop()
        this.setStatus({ ...this.status, state: 'crashed', error: message })
        throw new Error(`${spec.id} ${message}`)
      }
      throw new Error(`${spec.id} ${this.status.error ?? 'exited before it was ready'}`)
    }
    this.setStatus({ ...this.status, state: 'running', readyAt: Date.now() })
  }

  /** SIGTERM to the group, SIGKILL after the grace period. Idempotent; safe after a failed start. */
  async stop(): Promise<void> {
    const exited = this.exited
    if (!this.child || !exited) return
    if (this.status.state !== 'stopping') {
      this.abortReadiness?.abort()
      this.setStatus({ ...this.status, state: 'stopping' })
      this.killGroup('SIGTERM')
    }
    const grace = this.spec.stopGraceMs ?? DEFAULT_STOP_GRACE_MS
    if (await settlesWithin(exited, grace)) return
    this.outputEmitter.emit([`[aerie] ${this.spec.id} did not stop within ${grace} ms; killing its process group`])
    this.killGroup('SIGKILL')
    await settlesWithin(exited, KILL_CONFIRM_MS)
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.status.pid
    if (!pid) return
    try {
      process.kill(-pid, signal)
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private setStatus(next: ProcessStatus): void {
    this.status = next
    this.stateEmitter.emit(this.current)
  }
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    promise.then(() => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}
