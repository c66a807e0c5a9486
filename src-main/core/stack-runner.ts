import path from 'node:path'
import type { ProcessView, StackState, StackView } from '../contract.js'
import type { AppServer, Stack } from './stacks/stack-schema.js'
import { stackUrls } from './stacks/stack-urls.js'
import { resourcesDir } from './paths.js'
import type { CertificateManager } from './certs/certificate-manager.js'
import type { ProxyPlan, RunningProxy } from './proxy/proxy-driver.js'
import { proxyDriver } from './proxy/proxy-drivers.js'
import { prepareDotnet, type Launch } from './supervisor/dotnet-launch.js'
import { expandTokens, instanceEnv } from './supervisor/instance-env.js'
import { ManagedProcess } from './supervisor/managed-process.js'
import { PortAllocator } from './supervisor/port-allocator.js'
import type { ProcessRegistry } from './supervisor/process-registry.js'
import { portInUseMessage } from './supervisor/port-owner.js'
import { findFreePort, isPortFree } from './supervisor/ports.js'
import { LOG_FILE_MAX_BYTES, RotatingFile } from './telemetry/log-files.js'
import type { Telemetry } from './telemetry/telemetry.js'

interface Instance {
  appServer: string
  instance: number
  process: ManagedProcess
}

/** Runs one stack: its app-server instances, then its proxy; stops them in reverse. */
export class StackRunner {
  private state: StackState = 'stopped'
  private error?: string
  private instances: Instance[] = []
  private proxy?: RunningProxy
  private readonly ports: PortAllocator
  private busy?: Promise<void>
  private tls?: { certPem: string; keyPem: string }
  private traceFile?: RotatingFile
  private adminPort?: number
  /** The aerie.stack.json this stack lives in, when it is kept in an app's repository. */
  source?: string
  /** Why the last edit of `source` was not applied (file, line, field); the stack keeps its last valid config. */
  configError?: string
  /** What the last save did to the running stack, in words ("restarted api; reloaded nginx gracefully"). */
  lastChange?: string

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
    },
  ) {
    this.telemetry = deps.telemetry
    this.registry = deps.registry
    this.changed = deps.changed
    this.ports = new PortAllocator(path.join(deps.dataDir, 'run', `ports-${stack.id}.json`))
  }

  get isActive(): boolean {
    return this.state !== 'stopped' && this.state !== 'failed'
  }

  view(): StackView {
    const { stack } = this
    const processes: ProcessView[] = this.instances.map(({ appServer, instance, process }) => {
      const { state, pid, port, startedAt, readyAt, exitCode, signal, error, restarts, nextRestartAt, lastLines } = process.current
      return { id: process.spec.id, stackId: stack.id, appServer, instance, state, pid, port, startedAt, readyAt, exitCode, signal, error, restarts, nextRestartAt, lastLines }
    })
    const urls = stackUrls(stack)
    return { stack, state: this.state, urls, processes, error: this.error, source: this.source, configError: this.configError, lastChange: this.lastChange }
  }

  async start(): Promise<void> {
    if (this.busy) await this.busy
    if (this.isActive) return
    this.busy = this.doStart().finally(() => (this.busy = undefined))
    return this.busy
  }

  /**
   * Applies a changed stack, touching only what changed: with the same host names and proxy
   * ports, changed app servers are restarted (the others keep running) and the proxy reloads
   * gracefully (a config it refuses is reverted and the error thrown, the old one keeps
   * serving). Any other change restarts the whole stack. Returns what it did, in words.
   */
  async applyChange(next: Stack): Promise<string> {
    if (this.busy) await this.busy.catch(() => undefined)
    const previous = this.stack
    if (!this.isActive || !this.proxy) {
      this.stack = next
      return 'saved (the stack is not running)'
    }
    const same = (pick: (s: Stack) => unknown) => JSON.stringify(pick(previous)) === JSON.stringify(pick(next))
    const proxyIdentity = (s: Stack) => [s.hostnames, s.proxy.kind, s.proxy.listenHost, s.proxy.httpPort, s.proxy.httpsPort, s.proxy.tlsKeyKind, s.proxy.traceFile]
    if (!same(proxyIdentity)) {
      await this.stop()
      this.stack = next
      await this.start().catch(() => undefined)
      return 'restarted the stack (its host names or proxy listeners changed)'
    }
    const json = (s: Stack, name: string) => JSON.stringify(s.appServers.find((a) => a.name === name))
    const changed = next.appServers.filter((a) => json(previous, a.name) !== json(next, a.name)).map((a) => a.name)
    const removed = previous.appServers.filter((a) => !next.appServers.some((b) => b.name === a.name)).map((a) => a.name)
    const outgoing = this.instances.filter((i) => changed.includes(i.appServer) || removed.includes(i.appServer))
    this.stack = next
    /** App servers whose new instances did not start: the change is kept (it is valid), the failure reported. */
    const failures: string[] = []
    if (outgoing.length || changed.length) {
      await Promise.all(outgoing.map((i) => i.process.stop()))
      this.instances = this.instances.filter((i) => !outgoing.includes(i))
      for (const name of changed) {
        const index = next.appServers.findIndex((a) => a.name === name)
        try {
          const fresh = await this.createInstancesFor(next.appServers[index], index)
          this.instances.push(...fresh)
          const results = await Promise.allSettled(fresh.map((i) => i.process.start()))
          for (const r of results) if (r.status === 'rejected') failures.push((r.reason as Error).message)
        } catch (err) {
          failures.push(`${name}: ${(err as Error).message}`)
        }
      }
    }
    try {
      await this.proxy.reload(this.plan())
    } catch (err) {
      if (!changed.length && !removed.length) this.stack = previous
      throw err
    }
    const restarted = [...changed, ...removed.map((r) => `${r} (removed)`)]
    const what = `${restarted.length ? `restarted ${restarted.join(', ')}; ` : ''}reloaded the ${next.proxy.kind === 'builtin' ? 'built-in proxy' : next.proxy.kind} gracefully${failures.length ? `; but ${failures.join('; ')}` : ''}`
    this.system(what)
    this.changed(this.view())
    return what
  }

  /** Restarts every instance of one app server, one after the other, on the same ports; the proxy keeps serving with the others. */
  async restartAppServer(name: string): Promise<void> {
    if (!this.stack.appServers.some((a) => a.name === name)) throw new Error(`stack "${this.stack.id}" has no app server "${name}"`)
    if (this.state !== 'running') throw new Error(`stack "${this.stack.id}" is ${this.state}; start it first`)
    this.system(`restarting ${name}`)
    for (const instance of this.instances.filter((i) => i.appServer === name)) {
      await instance.process.stop()
      await instance.process.start()
    }
    this.changed(this.view())
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

  private async doStart(): Promise<void> {
    const { stack } = this
    this.setState('starting')
    this.system(`starting stack ${stack.id}`)
    try {
      const { listenHost, httpPort } = stack.proxy
      // A port the proxy already serves for another stack is shared (routing by host name), not taken.
      const driver = proxyDriver(stack.proxy.kind)
      const usable = async (port: number) => driver.ownsPort?.(listenHost, port) || (await isPortFree(port, listenHost))
      if (!(await usable(httpPort)))
        throw new Error(portInUseMessage(httpPort, listenHost, 'proxy.httpPort', 'stop what holds it or pick another port'))
      const { httpsPort } = stack.proxy
      this.tls = undefined
      if (httpsPort !== undefined) {
        if (!(await usable(httpsPort)))
          throw new Error(portInUseMessage(httpsPort, listenHost, 'proxy.httpsPort', 'stop what holds it or pick another port'))
        const leaf = await this.deps.certificates.ensureLeaf(stack.id, stack.hostnames, stack.proxy.tlsKeyKind)
        if (leaf.renewed) this.system(`issued a certificate for ${leaf.info.names.join(', ')} from Aerie's local CA (${leaf.renewed}), valid until ${leaf.info.notAfter.slice(0, 10)}`)
        this.tls = { certPem: leaf.certPem + leaf.chainPem, keyPem: leaf.keyPem }
      }
      this.instances = []
      this.instances = await this.createInstances()
      await Promise.all(this.instances.map((i) => i.process.start()))
      this.adminPort = stack.proxy.kind === 'caddy' ? await findFreePort() : undefined
      const traceFile = stack.proxy.traceFile ? new RotatingFile(path.join(this.deps.dataDir, 'traces', `${stack.id}.ndjson`), LOG_FILE_MAX_BYTES) : undefined
      this.traceFile = traceFile
      this.proxy = await proxyDriver(stack.proxy.kind).start(this.plan(), {
        log: (lines) => this.telemetry.log(stack.id, 'proxy', 'system', lines),
        trace: (t) => {
          this.telemetry.trace(t)
          traceFile?.write(`${JSON.stringify(t)}\n`)
        },
      })
      this.setState('running')
      this.system(`stack ${stack.id} is running: ${this.view().urls.join(' ')}`)
    } catch (err) {
      const message = (err as Error).message
      this.system(`stack ${stack.id} failed to start: ${message}`)
      await this.teardown()
      this.setState('failed', message)
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
    await this.proxy?.stop()
    this.proxy = undefined
    await this.traceFile?.close()
    this.traceFile = undefined
    await Promise.all(this.instances.map((i) => i.process.stop()))
  }

  private async createInstances(): Promise<Instance[]> {
    const created: Instance[] = []
    for (const [index, app] of this.stack.appServers.entries()) created.push(...(await this.createInstancesFor(app, index)))
    return created
  }

  /** The supervised processes of one app server: ports checked or allocated, a .NET project built once. */
  private async createInstancesFor(app: AppServer, index: number): Promise<Instance[]> {
    const { stack } = this
    const ports = await this.ports.portsFor(app, index)
    const launch = await this.launchFor(app)
    const created: Instance[] = []
    for (let n = 1; n <= app.instances; n++) {
      const port = ports[n - 1]
      const process = new ManagedProcess({
        id: `${stack.id}/${app.name}#${n}`,
        command: launch.command,
        args: [...launch.args, ...app.args.map(expandTokens)],
        cwd: launch.cwd,
        env: instanceEnv(app, n, port),
        port,
        readiness: app.readiness,
        restart: { mode: app.restart, initialDelayMs: app.restartBackoff.initialMs, maxDelayMs: app.restartBackoff.maxMs, burst: app.restartLimit.burst, windowMs: app.restartLimit.windowMs },
        stopGraceMs: app.stopGraceMs,
      })
      const source = `${app.name}#${n}`
      process.onOutput((lines) => this.telemetry.log(stack.id, source, 'out', lines))
      process.onSpawn(({ pid, command, args }) => this.registry.add({ pid, command, args, id: process.spec.id }))
      process.onState((s) => {
        if (!s.pid && s.state !== 'starting') this.registry.remove(process.spec.id)
        this.proxy?.instancesChanged?.()
        if (s.state === 'exited' || s.state === 'crashed' || s.state === 'failed') this.system(`${source} is ${s.state}: ${s.error ?? 'exited'}`)
        const view = this.view()
        const own = view.processes.find((p) => p.id === process.spec.id)
        if (own) this.deps.processChanged(own)
        this.changed(view)
      })
      created.push({ appServer: app.name, instance: n, process })
    }
    return created
  }

  /** Relative paths in a stack file are relative to that file's folder. */
  private get baseDir(): string {
    return this.source ? path.dirname(this.source) : resourcesDir()
  }

  /** What to run for each instance of `app`; builds a .NET project once first. */
  private async launchFor(app: AppServer): Promise<Launch> {
    const cwd = app.cwd ? path.resolve(this.baseDir, expandTokens(app.cwd)) : this.baseDir
    if (app.kind !== 'dotnet') return { command: expandTokens(app.command), args: [], cwd }
    const outDir = path.join(this.deps.dataDir, 'builds', this.stack.id, app.name)
    const project = path.resolve(this.baseDir, expandTokens(app.project ?? ''))
    const launch = await prepareDotnet({ ...app, project }, outDir, (lines) => this.telemetry.log(this.stack.id, `${app.name}:build`, 'out', lines))
    return app.cwd ? { ...launch, cwd } : launch
  }

  private plan(): ProxyPlan {
    const { stack } = this
    return {
      stackId: stack.id,
      listenHost: stack.proxy.listenHost,
      httpPort: stack.proxy.httpPort,
      httpsPort: stack.proxy.httpsPort,
      tls: this.tls,
      workDir: path.join(this.deps.dataDir, 'proxies', stack.id),
      adminPort: this.adminPort,
      hostnames: stack.hostnames,
      settings: {
        redirectToHttps: stack.proxy.redirectToHttps,
        loadBalancing: stack.proxy.loadBalancing,
        healthCheck: stack.proxy.healthCheck,
        ejection: stack.proxy.ejection,
        timeouts: stack.proxy.timeouts,
        compression: stack.proxy.compression,
        forwardedHeader: stack.proxy.forwardedHeader,
        traceSecrets: stack.proxy.traceSecrets,
      },
      routes: stack.routes.map((r) => ({
        pathPrefix: r.pathPrefix,
        appServer: r.appServer,
        staticDir: r.staticDir ? path.resolve(this.baseDir, expandTokens(r.staticDir)) : undefined,
        upstreams: this.instances
          .filter((i) => i.appServer === r.appServer)
          .map((i) => ({
            id: `${i.appServer}#${i.instance}`,
            host: '127.0.0.1',
            port: i.process.spec.port,
            state: () => i.process.current.state,
            problem: () => i.process.current.error,
          })),
      })),
    }
  }
}
