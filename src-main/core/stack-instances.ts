import path from 'node:path'
import type { ProcessView } from '../contract.js'
import { usageOf } from './supervisor/process-usage.js'
import type { CertificateManager } from './certs/certificate-manager.js'
import type { DataLayout } from './data-layout.js'
import { instanceSpec, type Instance } from './stack-plan.js'
import type { AppServer, Stack } from './stacks/stack-schema.js'
import { launchFor } from './supervisor/dotnet-launch.js'
import { ManagedProcess } from './supervisor/managed-process.js'
import { PortAllocator } from './supervisor/port-allocator.js'
import type { ProcessRegistry } from './supervisor/process-registry.js'
import type { Telemetry } from './telemetry/telemetry.js'

export interface InstanceOptions {
  /** Which instances (1-based); default all of the app server's. */
  numbers?: number[]
  /** Ports its running instances keep, by instance number. */
  held?: Map<number, number>
  /** The build folder (0 or 1) to build into; default the app server's current one. */
  slot?: number
}

/**
 * Makes one stack's supervised instances: their ports checked or allocated, a .NET project built
 * once into one of two build folders, each process registered and its output sent to the stack's log.
 * The runner decides when; this knows how.
 */
export class StackInstances {
  /** Per app server: which of two build folders its running instances use (build-once), so a rolling build never overwrites them. */
  readonly buildSlots = new Map<string, number>()
  private readonly ports: PortAllocator

  constructor(
    stackId: string,
    private readonly deps: {
      layout: DataLayout
      telemetry: Telemetry
      registry: ProcessRegistry
      certificates: CertificateManager
      otlp?: { endpoint: string; keyFor(stackId: string): string }
      /** Relative paths in the stack resolve against this. */
      baseDir: () => string
      /** Says what the stack is busy with (a build), and restores what it said before. */
      activity: { get: () => string | undefined; set: (activity: string | undefined) => void }
      /** Each new process, to follow its state. */
      watch: (process: ManagedProcess, source: string) => void
    },
  ) {
    this.ports = new PortAllocator(deps.layout.ports(stackId))
  }

  async all(stack: Stack): Promise<Instance[]> {
    const created: Instance[] = []
    for (const [index, app] of stack.appServers.entries()) created.push(...(await this.forApp(stack, app, index)))
    return created
  }

  /** The instances of the stack's app server `app` (at `index` in its list). */
  async forApp(stack: Stack, app: AppServer, index: number, options: InstanceOptions = {}): Promise<Instance[]> {
    const { deps } = this
    const ports = await this.ports.portsFor(app, index, options.held)
    const slot = options.slot ?? this.buildSlots.get(app.name) ?? 0
    const before = deps.activity.get()
    if (app.kind === 'dotnet') deps.activity.set(`building ${app.name} (dotnet build; its output is under ${app.name}:build in Logs)`)
    let launch
    try {
      launch = await launchFor(app, { baseDir: deps.baseDir(), buildDir: path.join(deps.layout.builds(stack.id), app.name, String(slot)), log: (lines) => deps.telemetry.log(stack.id, `${app.name}:build`, 'out', lines) })
    } finally {
      deps.activity.set(before)
    }
    this.buildSlots.set(app.name, slot)
    const caBundle = await deps.certificates.trustBundle()
    const receiver = deps.otlp
    const otlp = receiver && { endpoint: receiver.endpoint, key: receiver.keyFor(stack.id), service: `${stack.id}/${app.name}` }
    const created: Instance[] = []
    const numbers = options.numbers ?? Array.from({ length: app.instances }, (_, k) => k + 1)
    for (const n of numbers) {
      const process = new ManagedProcess(instanceSpec(stack.id, app, n, ports[n - 1], launch, deps.registry.owner, { caBundle, httpsPort: stack.proxy.httpsPort, otlp }))
      const source = `${app.name}#${n}`
      process.onOutput((lines) => deps.telemetry.log(stack.id, source, 'out', lines))
      deps.registry.track(process)
      deps.watch(process, source)
      created.push({ appServer: app.name, instance: n, process })
    }
    return created
  }
}

/** What the faces see of one instance: its supervised process's state, and its CPU and memory while it runs. */
export function processView(stackId: string, { appServer, instance, process }: Instance): ProcessView {
  const { state, pid, port, startedAt, readyAt, exitCode, signal, error, restarts, nextRestartAt, lastLines } = process.current
  return { id: process.spec.id, stackId, appServer, instance, state, pid, port, startedAt, readyAt, exitCode, signal, error, restarts, nextRestartAt, lastLines, ...(state === 'running' ? usageOf(pid) : {}) }
}
