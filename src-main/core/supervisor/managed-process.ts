import fs from 'node:fs'
import * as pty from 'node-pty'
import { RingBuffer } from '../telemetry/ring-buffer.js'
import { Emitter } from '../util/emitter.js'
import { LineSplitter } from '../util/line-splitter.js'
import { waitUntilReady, type ReadinessCheck } from './readiness.js'
import { launchTag, processStartTime, SUPERVISED_ENV, taggedProcesses } from './process-tree.js'
import { resolveCommand } from './resolve-command.js'
import { hostPlatform } from '../platform/platform.js'
import { DEFAULT_RESTART_POLICY, nextRestartDelay, wantsRestart, type RestartPolicy } from './restart-policy.js'

/** How long a stopping process gets after SIGTERM before its group is killed. */
export const DEFAULT_STOP_GRACE_MS = 10_000
/** After SIGKILL, how long to wait for the exit report before giving up on it. */
const KILL_CONFIRM_MS = 2_000
/** Terminal size the child sees; wide enough that servers do not wrap their log lines. */
const PTY_COLS = 200
const PTY_ROWS = 50
/** Output lines kept with a crashed or failed process, for the UI to show why. */
export const LAST_LINES_KEPT = 30

/** `exited`: ended on its own with code 0 (not restarted under on-failure); `crashed`: with another code or a signal. */
export type ProcessState = 'stopped' | 'starting' | 'running' | 'stopping' | 'exited' | 'crashed' | 'backoff' | 'failed'

export interface ProcessSpec {
  /** `<stack>/<appServer>#<instance>` */
  id: string
  command: string
  args: string[]
  cwd: string
  env: Record<string, string>
  port: number
  readiness: ReadinessCheck
  restart?: RestartPolicy
  stopGraceMs?: number
  /** The data directory's owner tag (process-tree.ts): each launch is tagged, so a stop reaches descendants that left the group. */
  owner?: string
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
  restarts: number
  /** When the next restart is due, while in backoff. */
  nextRestartAt?: number
  /** The last output lines, kept when the process crashed or failed. */
  lastLines?: string[]
}

export interface SpawnRecord {
  pid: number
  command: string
  args: string[]
  /** /proc start time, where the OS tells: with the pid, who this is. */
  startTime?: string
  tag?: string
}

/**
 * One supervised child under a pseudo-terminal, as a state machine:
 * stopped → starting → running → stopping → stopped; an exit on its own goes to crashed,
 * or to backoff and then starting again as the restart policy says, or to failed after a
 * crash loop. The child leads its own process group (forkpty makes it a session leader),
 * so stop signals reach everything it spawned (e.g. `dotnet run` and the app it starts).
 */
export class ManagedProcess {
  private readonly stateEmitter = new Emitter<ProcessStatus>()
  private readonly outputEmitter = new Emitter<string[]>()
  private readonly spawnEmitter = new Emitter<SpawnRecord>()
  readonly onState = this.stateEmitter.subscribe
  readonly onOutput = this.outputEmitter.subscribe
  /** Every spawn and its pid, for the registry that reaps survivors of a crashed engine. */
  readonly onSpawn = this.spawnEmitter.subscribe

  private child?: pty.IPty
  private status: ProcessStatus
  private exited?: Promise<void>
  private abortReadiness?: AbortController
  private stopRequested = false
  /** Auto-restart applies only once the process was ready at least once in this run. */
  private restartArmed = false
  private crashTimes: number[] = []
  private restartTimer?: NodeJS.Timeout
  private readinessFailure?: string
  private readonly recentLines = new RingBuffer<string>(LAST_LINES_KEPT)
  /** This launch's AERIE_SUPERVISED value. */
  private tag?: string

  constructor(readonly spec: ProcessSpec) {
    this.status = { state: 'stopped', port: spec.port, restarts: 0 }
  }

  get current(): ProcessStatus {
    return { ...this.status }
  }

  private get policy(): RestartPolicy {
    return this.spec.restart ?? DEFAULT_RESTART_POLICY
  }

  /** Spawns the child and resolves once it passes its readiness check; rejects (state crashed) otherwise. */
  async start(): Promise<void> {
    if (this.child || this.restartTimer) throw new Error(`${this.spec.id} is already ${this.status.state}`)
    this.stopRequested = false
    this.restartArmed = false
    this.crashTimes = []
    this.status = { state: 'stopped', port: this.spec.port, restarts: 0 }
    await this.launch(true)
    this.restartArmed = true
  }

  /** SIGTERM to the group, SIGKILL after the grace period. Idempotent; safe after a failed start or in backoff. */
  async stop(): Promise<void> {
    this.stopRequested = true
    if (this.restartTimer) {
      clearTimeout(this.restartTimer)
      this.restartTimer = undefined
      this.setStatus({ ...this.status, state: 'stopped', nextRestartAt: undefined })
    }
    const exited = this.exited
    if (!this.child || !exited) return
    if (this.status.state !== 'stopping') {
      this.abortReadiness?.abort()
      this.setStatus({ ...this.status, state: 'stopping' })
      this.signalTree('SIGTERM')
    }
    const grace = this.spec.stopGraceMs ?? DEFAULT_STOP_GRACE_MS
    if (await settlesWithin(exited, grace)) return
    this.emitLines([`[aerie] ${this.spec.id} did not stop within ${grace} ms; killing its process group`])
    this.signalTree('SIGKILL')
    await settlesWithin(exited, KILL_CONFIRM_MS)
  }

  private async launch(initial: boolean): Promise<void> {
    const { spec } = this
    this.readinessFailure = undefined
    let child: pty.IPty
    let command: string
    try {
      if (!fs.statSync(spec.cwd, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`working directory ${spec.cwd} does not exist`)
      command = resolveCommand(spec.command, spec.env, spec.cwd)
      this.tag = spec.owner ? launchTag(spec.owner, spec.id) : undefined
      const env = this.tag ? { ...spec.env, [SUPERVISED_ENV]: this.tag } : spec.env
      child = pty.spawn(command, spec.args, { name: 'xterm-256color', cols: PTY_COLS, rows: PTY_ROWS, cwd: spec.cwd, env })
    } catch (err) {
      this.setStatus({ ...this.status, state: initial ? 'crashed' : 'failed', pid: undefined, error: `could not start: ${(err as Error).message}` })
      throw new Error(`${spec.id} ${this.status.error}`)
    }
    this.child = child
    this.spawnEmitter.emit({ pid: child.pid, command, args: spec.args, startTime: processStartTime(child.pid), tag: this.tag })
    this.setStatus({ state: 'starting', pid: child.pid, port: spec.port, startedAt: Date.now(), restarts: this.status.restarts })

    const lines = new LineSplitter()
    child.onData((chunk) => this.emitLines(lines.push(chunk)))
    this.exited = new Promise((resolve) => {
      child.onExit(({ exitCode, signal }) => {
        this.emitLines(lines.flush())
        this.onChildExit(exitCode, signal || undefined)
        resolve()
      })
    })

    this.abortReadiness = new AbortController()
    try {
      await waitUntilReady(spec.port, spec.readiness, this.abortReadiness.signal)
    } catch (err) {
      if (this.child === child) {
        // Alive but not ready in time: that counts as a failed start.
        this.readinessFailure = (err as Error).message
        if (initial) {
          await this.stop()
          this.setStatus({ ...this.status, state: 'crashed', error: this.readinessFailure })
        } else this.killGroup('SIGKILL')
        throw new Error(`${spec.id} ${this.readinessFailure}`)
      }
      throw new Error(`${spec.id} ${this.status.error ?? 'exited before it was ready'}`)
    }
    this.setStatus({ ...this.status, state: 'running', readyAt: Date.now() })
  }

  private onChildExit(exitCode: number, signal: number | undefined): void {
    this.signalTree('SIGKILL') // anything the child left behind: in its group, or tagged and gone elsewhere
    this.child = undefined
    this.abortReadiness?.abort()
    const base = { port: this.spec.port, exitCode, signal, startedAt: this.status.startedAt, restarts: this.status.restarts }
    if (this.stopRequested) return this.setStatus({ ...base, state: 'stopped' })

    const reason = this.readinessFailure ?? `exited with ${signal ? `signal ${signal}` : `code ${exitCode}`}`
    const lastLines = this.recentLines.tail(LAST_LINES_KEPT)
    if (!this.restartArmed || !wantsRestart(this.policy.mode, exitCode, signal)) {
      const clean = exitCode === 0 && !signal && !this.readinessFailure
      return this.setStatus({ ...base, state: clean ? 'exited' : 'crashed', error: reason, lastLines })
    }
    const now = Date.now()
    this.crashTimes.push(now)
    const delay = nextRestartDelay(this.crashTimes, now, this.policy)
    if (delay === undefined) {
      const seconds = Math.round(this.policy.windowMs / 1000)
      return this.setStatus({ ...base, state: 'failed', error: `${reason}; crashed ${this.crashTimes.filter((t) => now - t <= this.policy.windowMs).length} times within ${seconds} s, so Aerie stopped restarting it`, lastLines })
    }
    this.emitLines([`[aerie] ${this.spec.id} ${reason}; restarting in ${delay} ms`])
    this.setStatus({ ...base, state: 'backoff', error: reason, lastLines, nextRestartAt: now + delay })
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined
      if (this.stopRequested) return
      this.status = { ...this.status, restarts: this.status.restarts + 1 }
      this.launch(false).catch(() => {
        // The exit handler (or the failed spawn) already recorded the outcome.
      })
    }, delay)
  }

  private emitLines(lines: string[]): void {
    if (!lines.length) return
    for (const line of lines) this.recentLines.push(line)
    this.outputEmitter.emit(lines)
  }

  /** The child's process group, and every process of this launch's tag that left it (setsid, re-parented). */
  private signalTree(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.killGroup(signal)
    if (!this.tag) return
    for (const pid of taggedProcesses({ tag: this.tag })) {
      try {
        process.kill(pid, signal)
      } catch {
        // gone meanwhile
      }
    }
  }

  private killGroup(signal: 'SIGTERM' | 'SIGKILL'): void {
    const pid = this.status.pid
    if (pid) hostPlatform().killTree(pid, signal)
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
