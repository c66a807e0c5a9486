import { unresolvedNamesWarning } from './hosts-file.js'
import path from 'node:path'
import type { ProcessView, StackState, StackView } from '../contract.js'
import type { Stack } from './stacks/stack-schema.js'
import { stackUrls } from './stacks/stack-urls.js'
import { dataLayout, type DataLayout } from './data-layout.js'
import { resourcesDir } from './paths.js'
import type { CertificateManager } from './certs/certificate-manager.js'
import type { ProxyPlan } from './proxy/proxy-driver.js'
import { ProxyRun } from './proxy-run.js'
import { checkProxyListeners, proxyPlanFor, type Instance } from './stack-plan.js'
import { processView, StackInstances } from './stack-instances.js'
import { DRAIN_MS, planRollout, rollsSideBySide } from './stack-rollout.js'
import { proxyDriver } from './proxy/proxy-drivers.js'
import type { ManagedProcess } from './supervisor/managed-process.js'
import type { ProcessRegistry } from './supervisor/process-registry.js'
import type { Telemetry } from './telemetry/telemetry.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const json = (value: unknown) => JSON.stringify(value)

/** Runs one stack: its app-server instances, then its proxy; stops them in reverse. */
export class StackRunner {
  private state: StackState = 'stopped'
  private error?: string
  private instances: Instance[] = []
  private readonly proxyRun: ProxyRun
  private readonly made: StackInstances
  private readonly layout: DataLayout
  private busy?: Promise<void>
  private tls?: { certPem: string; keyPem: string }
  /** The aerie.stack.json this stack lives in, when it is kept in an app's repository. */
  source?: string
  /** Why the last edit of `source` was not applied (file, line, field); the stack keeps its last valid config. */
  configError?: string
  /** What the last save did to the running stack, in words ("restarted api; reloaded nginx gracefully"). */
  lastChange?: string
  /** What the stack is busy with that takes a while (a build, a saved change being rolled out), for the faces. */
  private activity?: string
  /** What the last start found that will bite the app (a host name that does not resolve). */
  private warnings: string[] = []

  private readonly telemetry: Telemetry
  private readonly registry: ProcessRegistry
  private readonly changed: (view: StackView) => void

  constructor(
    public stack: Stack,
    private readonly deps: {
      telemetry: Telemetry
      registry: ProcessRegistry
      certificates: CertificateManager
      dataDir: string
      changed: (view: StackView) => void
      processChanged: (view: ProcessView) => void
      /** The engine's OTLP receiver, when it runs: instances get its endpoint and this stack's key. */
      otlp?: { endpoint: string; keyFor(stackId: string): string }
    },
  ) {
    this.telemetry = deps.telemetry
    this.registry = deps.registry
    this.changed = deps.changed
    this.layout = dataLayout(deps.dataDir)
    this.proxyRun = new ProxyRun(deps.telemetry, this.layout)
    this.made = new StackInstances(stack.id, {
      ...deps,
      layout: this.layout,
      baseDir: () => this.baseDir,
      activity: { get: () => this.activity, set: (activity) => this.doing(activity) },
      watch: (process, source) => this.watch(process, source),
    })
  }

  get isActive(): boolean {
    return this.state !== 'stopped' && this.state !== 'failed'
  }

  /**
   * The state users see: a running stack is `degraded` while some of its instances do not serve
   * (crashed, in backoff, failed, exited, restarting) and `down` when none does.
   */
  private get derivedState(): StackState {
    if (this.state !== 'running' || !this.instances.length) return this.state
    const serving = this.instances.filter((i) => i.process.current.state === 'running').length
    if (serving === this.instances.length) return 'running'
    return serving === 0 ? 'down' : 'degraded'
  }

  view(): StackView {
    const { stack } = this
    const processes = this.instances.map((i) => processView(stack.id, i))
    const urls = stackUrls(stack)
    return { stack, state: this.derivedState, urls, processes, error: this.error, source: this.source, configError: this.configError, lastChange: this.lastChange, ...(this.activity ? { activity: this.activity } : {}), ...(this.warnings.length ? { warnings: this.warnings } : {}) }
  }

  async start(): Promise<void> {
    if (this.busy) await this.busy
    if (this.isActive) return
    this.busy = this.doStart().finally(() => (this.busy = undefined))
    return this.busy
  }

  /**
   * Applies a changed stack to the running one without dropping requests, touching only what
   * changed. Everything is checked before any process is touched (ports, the build, the proxy's
   * own validator on the new config): a refused change changes nothing. Then, per app server:
   * a changed instance count adds or drains instances; any other change is rolling (new
   * instances on new ports pass readiness, join the proxy, then the old ones drain and stop),
   * except where old and new cannot run side by side (fixed ports; `dotnet run`, which builds
   * into the folder the old ones run from), which are replaced in place. Host names, listeners
   * and the proxy kind restart only the proxy. Returns what it did, in words.
   */
  async applyChange(next: Stack, replace: string[] = []): Promise<string> {
    try {
      return await this.applyChangeNow(next, replace)
    } finally {
      this.doing(undefined)
    }
  }

  /**
   * Names the system's resolver does not find (glibc does not resolve *.localhost; browsers and
   * curl do): the app calling its own URL, and other tools, would fail. Said in the log and on the card.
   */
  private async checkNames(stack: Stack): Promise<void> {
    const warning = await unresolvedNamesWarning(stack.hostnames)
    this.warnings = warning ? [warning] : []
    if (warning) this.system(warning)
    this.changed(this.view())
  }

  /** Says what the stack is busy with (undefined: nothing), and tells the faces. */
  private doing(activity: string | undefined): void {
    if (this.activity === activity) return
    this.activity = activity
    this.changed(this.view())
  }

  private async applyChangeNow(next: Stack, replace: string[]): Promise<string> {
    if (this.busy) await this.busy.catch(() => undefined)
    const previous = this.stack
    if (!this.isActive || !this.proxyRun.running) {
      this.stack = next
      // The last start's error was about the stack before this change: it no longer holds.
      if (this.error) this.setState('stopped')
      return 'saved (the stack is not running)'
    }
    const ports = (s: Stack) => json([s.proxy.listenHost, s.proxy.httpPort, s.proxy.httpsPort])
    const portsChanged = ports(previous) !== ports(next)
    const namesChanged = json([previous.hostnames, previous.proxy.tlsKeyKind]) !== json([next.hostnames, next.proxy.tlsKeyKind])
    // A real server's process is supervised on its ports, so new ports start a new one; the built-in proxy moves its listeners on reload.
    const proxyChanged = previous.proxy.kind !== next.proxy.kind || previous.proxy.traceFile !== next.proxy.traceFile || (portsChanged && next.proxy.kind !== 'builtin')
    if (portsChanged || proxyChanged) await checkProxyListeners(next, previous)
    const rollout = await planRollout(previous, next, replace, {
      instances: this.instances,
      buildSlots: this.made.buildSlots,
      create: (app, index, options) => this.made.forApp(this.stack, app, index, options),
      discard: (instances) => this.discard(instances),
    })
    let tls = this.tls
    try {
      if (namesChanged || portsChanged || proxyChanged) tls = await this.issueTls(next)
      // Stand-ins for replacements not created yet: the validator checks the config, not the ports.
      const candidate = this.planFor(next, [...rollout.keep, ...rollout.fresh, ...rollout.before], tls)
      await proxyDriver(next.proxy.kind).validate?.(candidate)
    } catch (err) {
      await this.discard(rollout.fresh)
      throw err
    }

    // From here on, processes change.
    const replaced = [...new Set([...rollout.deferred.map((d) => d.app.name), ...rollout.fresh.map((i) => i.appServer)])]
    this.doing(`applying the saved change${replaced.length ? `: new instances of ${replaced.join(', ')}` : ''}, then a proxy reload`)
    const previousInstances = this.instances
    const replacedWereServing = [...rollout.retire, ...rollout.before].some((i) => i.process.current.state === 'running')
    await Promise.all(rollout.before.map((i) => i.process.stop()))
    const failures: string[] = []
    for (const { app, index, held } of rollout.deferred) {
      try {
        rollout.fresh.push(...(await this.made.forApp(this.stack, app, index, { held })))
      } catch (err) {
        failures.push(`${app.name}: ${(err as Error).message}`)
      }
    }
    const results = await Promise.allSettled(rollout.fresh.map((i) => i.process.start()))
    for (const r of results) if (r.status === 'rejected') failures.push((r.reason as Error).message)
    const revert = async () => {
      await this.discard(rollout.fresh)
      this.instances = previousInstances
      this.stack = previous
      await Promise.allSettled(rollout.before.map((i) => i.process.start()))
    }
    if (failures.length && replacedWereServing) {
      await revert()
      this.changed(this.view())
      throw new Error(`the new instances did not start, so nothing changed and the old ones keep serving: ${failures.join('; ')}`)
    }

    const order = (i: Instance) => next.appServers.findIndex((a) => a.name === i.appServer) * 1000 + i.instance
    this.instances = [...rollout.keep, ...rollout.fresh].sort((a, b) => order(a) - order(b))
    this.stack = next
    let proxyWords: string
    try {
      if (proxyChanged) {
        await this.restartProxy(tls, revert)
        proxyWords = `restarted the ${this.proxyLabel(next)} (its kind, ports or trace file changed; the app servers kept running)`
      } else {
        const oldTls = this.tls
        this.tls = tls
        try {
          await this.proxyRun.running.reload(this.plan())
        } catch (err) {
          this.tls = oldTls
          throw err
        }
        proxyWords = `reloaded the ${this.proxyLabel(next)} gracefully${namesChanged || portsChanged ? ' with the new host names and listeners' : ''}`
      }
    } catch (err) {
      if (!proxyChanged) await revert()
      this.changed(this.view())
      throw err
    }
    if (rollout.retire.length) {
      await sleep(DRAIN_MS)
      await Promise.all(rollout.retire.map((i) => i.process.stop()))
    }
    const what = [...rollout.words, proxyWords].join('; ') + (failures.length ? `; but ${failures.join('; ')}` : '')
    this.system(what)
    this.changed(this.view())
    return what
  }

  private proxyLabel(stack: Stack): string {
    return stack.proxy.kind === 'builtin' ? 'built-in proxy' : stack.proxy.kind
  }

  /** Drops instances that were created for a change that did not happen (stopping any that started). */
  private async discard(instances: Instance[]): Promise<void> {
    await Promise.all(instances.map((i) => i.process.stop()))
  }

  /**
   * Restarts every instance of one app server without a gap: rolling where old and new can run
   * side by side (new instances first), else one instance after the other on the same ports.
   */
  async restartAppServer(name: string): Promise<string> {
    const app = this.stack.appServers.find((a) => a.name === name)
    if (!app) throw new Error(`stack "${this.stack.id}" has no app server "${name}"`)
    if (!this.isActive || this.state !== 'running') throw new Error(`stack "${this.stack.id}" is ${this.derivedState}; start it first`)
    this.system(`restarting ${name}`)
    if (rollsSideBySide(app)) return this.applyChange(this.stack, [name])
    for (const instance of this.instances.filter((i) => i.appServer === name)) {
      await instance.process.stop()
      await instance.process.start()
    }
    this.changed(this.view())
    return `restarted ${name} one instance after the other`
  }

  /** The pids of its running instances, for the usage readings. */
  runningPids(): number[] {
    return this.instances.flatMap((i) => (i.process.current.state === 'running' && i.process.current.pid ? [i.process.current.pid] : []))
  }

  /** Tells the faces the instances' latest CPU and memory readings. */
  publishUsage(): void {
    if (this.isActive) this.changed(this.view())
  }

  /** Stops, starts or restarts one instance (`web#2`) of the running stack; the proxy keeps sending to the others. */
  async controlInstance(label: string, action: 'stop' | 'start' | 'restart'): Promise<void> {
    const instance = this.instances.find((i) => `${i.appServer}#${i.instance}` === label)
    if (!instance) throw new Error(`stack "${this.stack.id}" has no running instance "${label}"`)
    if (!this.isActive) throw new Error(`stack "${this.stack.id}" is ${this.derivedState}; start it first`)
    this.system(`${action === 'stop' ? 'stopping' : action === 'start' ? 'starting' : 'restarting'} ${label} (asked for by hand)`)
    if (action !== 'start') await instance.process.stop()
    if (action !== 'stop') await instance.process.start()
    this.changed(this.view())
  }

  /** Empties the running stack's response cache, or what is under `path` where the proxy can tell. */
  async purgeCache(path?: string): Promise<{ purged: number | null; note: string }> {
    if (!this.stack.proxy.cache) throw new Error(`stack "${this.stack.id}" has no response cache (proxy.cache)`)
    if (!this.proxyRun.running || !this.isActive) throw new Error(`stack "${this.stack.id}" is ${this.derivedState}; its cache is empty`)
    const purged = await this.proxyRun.running.purgeCache?.(path)
    const what = path ? `under ${path}` : 'all'
    const note = purged === undefined ? `emptied the ${this.proxyLabel(this.stack)} cache (whole: it names its files by hash)` : `purged ${purged} cached answer(s) (${what})`
    this.system(note)
    return { purged: purged ?? null, note }
  }

  async stop(): Promise<void> {
    if (this.busy) await this.busy.catch(() => undefined)
    if (this.state === 'stopped') return
    this.busy = this.doStop().finally(() => (this.busy = undefined))
    return this.busy
  }

  private system(message: string): void {
    this.telemetry.log(this.stack.id, 'aerie', 'system', [message])
  }

  private setState(state: StackState, error?: string): void {
    this.state = state
    this.error = error
    this.changed(this.view())
  }

  /** The certificate for an HTTPS stack, issued or renewed from the local CA when needed. */
  private async issueTls(stack: Stack): Promise<{ certPem: string; keyPem: string } | undefined> {
    if (stack.proxy.httpsPort === undefined) return undefined
    const leaf = await this.deps.certificates.ensureLeaf(stack.id, stack.hostnames, stack.proxy.tlsKeyKind)
    if (leaf.renewed) this.system(`issued a certificate for ${leaf.info.names.join(', ')} from Aerie's local CA (${leaf.renewed}), valid until ${leaf.info.notAfter.slice(0, 10)}`)
    return { certPem: leaf.certPem + leaf.chainPem, keyPem: leaf.keyPem }
  }

  private async doStart(): Promise<void> {
    const { stack } = this
    this.setState('starting')
    this.system(`starting stack ${stack.id}`)
    try {
      await checkProxyListeners(stack)
      this.tls = await this.issueTls(stack)
      this.instances = []
      this.instances = await this.made.all(this.stack)
      await Promise.all(this.instances.map((i) => i.process.start()))
      await this.proxyRun.start(this.stack, () => this.plan())
      this.setState('running')
      this.system(`stack ${stack.id} is running: ${this.view().urls.join(' ')}`)
      void this.checkNames(stack)
    } catch (err) {
      const message = (err as Error).message
      this.system(`stack ${stack.id} failed to start: ${message}`)
      await this.teardown()
      this.setState('failed', message)
      throw err
    }
  }

  /** Replaces the running proxy with one for the current stack; when that fails, `revert` restores the old stack and its proxy comes back. */
  private async restartProxy(tls: { certPem: string; keyPem: string } | undefined, revert: () => Promise<void>): Promise<void> {
    const oldTls = this.tls
    await this.proxyRun.stop()
    this.tls = tls
    try {
      await this.proxyRun.start(this.stack, () => this.plan())
    } catch (err) {
      await revert()
      this.tls = oldTls
      await this.proxyRun.start(this.stack, () => this.plan()).catch((again) => this.system(`the previous proxy did not come back either: ${(again as Error).message}`))
      throw err
    }
  }

  private async doStop(): Promise<void> {
    this.setState('stopping')
    this.system(`stopping stack ${this.stack.id}`)
    await this.teardown()
    this.setState('stopped')
    this.system(`stack ${this.stack.id} stopped`)
  }

  private async teardown(): Promise<void> {
    await this.proxyRun.stop()
    await Promise.all(this.instances.map((i) => i.process.stop()))
  }

  /** A new instance's state changes: the proxy re-reads its upstreams, the faces get the view, a stop or crash is logged. */
  private watch(process: ManagedProcess, source: string): void {
    process.onState((s) => {
      this.proxyRun.running?.instancesChanged?.()
      if (s.state === 'exited' || s.state === 'crashed' || s.state === 'failed') this.system(`${source} is ${s.state}: ${s.error ?? 'exited'}`)
      const view = this.view()
      const own = view.processes.find((p) => p.id === process.spec.id && p.pid === s.pid)
      if (own) this.deps.processChanged(own)
      this.changed(view)
    })
  }

  /** Relative paths in a stack file are relative to that file's folder. */
  private get baseDir(): string {
    return this.source ? path.dirname(this.source) : resourcesDir()
  }

  private plan(): ProxyPlan {
    return this.planFor(this.stack, this.instances, this.tls)
  }

  private planFor(stack: Stack, instances: Instance[], tls: { certPem: string; keyPem: string } | undefined): ProxyPlan {
    return proxyPlanFor(stack, instances, { tls, workDir: this.layout.proxies(stack.id), adminPort: this.proxyRun.adminPort, owner: this.registry.owner, baseDir: this.baseDir })
  }

}

