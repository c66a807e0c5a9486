import { maskedHeaders } from '../builtin/trace-recorder.js'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Trace } from '../../../contract.js'
import { writeFileAtomic } from '../../atomic-file.js'
import { ManagedProcess } from '../../supervisor/managed-process.js'
import { canConnect } from '../../supervisor/ports.js'
import { DEFAULT_RESTART_POLICY } from '../../supervisor/restart-policy.js'
import type { DriverAvailability, ProxyDriver, ProxyHooks, ProxyPlan, RunningProxy } from '../proxy-driver.js'
import { applyRewrite, compileRewrites, type CompiledRewrite } from '../rewrite-rules.js'
import { FileTail } from './access-log-tail.js'
import { binaryVersion, findBinary, installHint } from './binary.js'
import { CodedError } from '../../error-codes.js'

const run = promisify(execFile)
/** A validator that takes longer than this is treated as a failure (it should take milliseconds). */
const VALIDATE_TIMEOUT_MS = 15_000
/** nginx, Apache and Caddy start in well under a second here; the margin covers a loaded CI machine. */
const PROXY_READY_TIMEOUT_MS = 15_000
/** First delay before a crashed proxy is started again (then doubling, as for app servers). */
const PROXY_RESTART_DELAY_MS = 500
/** Graceful stop: nginx and Apache finish requests in flight within this, then are killed. */
const PROXY_STOP_GRACE_MS = 5_000

export interface ProxyPaths {
  dir: string
  accessLog: string
  certFile: string
  keyFile: string
  /** Caddy's admin endpoint, private to this instance. */
  adminPort: number
}

/** A rendered config that the proxy's own validator refused: where and why. */
export class ProxyConfigError extends Error {
  constructor(
    readonly kind: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${kind} refused the generated config (${file}${line ? `:${line}` : ''}): ${detail}`)
    this.name = 'ProxyConfigError'
    this.name = 'ProxyConfigError'
  }
}

/**
 * The request headers each real proxy writes to its access log, for the trace's request headers
 * (masked on the way in, as the built-in proxy's): enough to tell clients and requests apart.
 */
export const LOGGED_REQUEST_HEADERS = ['user-agent', 'accept', 'accept-encoding', 'content-type', 'content-length', 'referer', 'origin', 'upgrade', 'authorization', 'cookie'] as const

/** The logged headers that were sent: the servers write an empty string or "-" for a missing one. */
export function loggedHeaders(values: readonly (string | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {}
  LOGGED_REQUEST_HEADERS.forEach((name, i) => {
    const v = values[i]
    if (v !== undefined && v !== '' && v !== '-') out[name] = v
  })
  return out
}

/** One access-log line, as the fields the server wrote; what it cannot tell stays absent. */
export type AccessEntry = Omit<Trace, 'id' | 'stackId' | 'upstream'> & { upstreamAddress?: string }

export interface ExternalProxySpec {
  kind: 'nginx' | 'apache' | 'caddy'
  label: string
  binaryNames: string[]
  binaryDirs: string[]
  install: { apt: string; brew: string; winget?: string }
  versionArgs: string[]
  versionPattern: RegExp
  /** The main config file's name inside the work folder. */
  configName: string
  render(plan: ProxyPlan, paths: ProxyPaths): string
  validateArgs(configFile: string, paths: ProxyPaths): string[]
  runArgs(configFile: string, paths: ProxyPaths): string[]
  env?(paths: ProxyPaths): Record<string, string>
  /** Asks the running server (master pid given) to load `configFile` gracefully. */
  reload(binary: string, configFile: string, paths: ProxyPaths, pid: number): Promise<void>
  /** Makes what the server's workers need in the work folder (run before each render), when they run as another user. */
  prepare?(plan: ProxyPlan, paths: ProxyPaths): Promise<void>
  /** The response cache's folder (default: `cache` in the work folder), emptied whole by a purge. */
  cacheDir?(paths: ProxyPaths, plan: ProxyPlan): string
  /** The first error in the validator's output: file, line and message. */
  parseError(output: string): { file?: string; line?: number; message: string }
  parseAccessLine(line: string): AccessEntry | undefined
}

function instanceByAddress(plan: ProxyPlan): Map<string, string> {
  const map = new Map<string, string>()
  for (const route of plan.routes) for (const u of route.upstreams) map.set(`${u.host}:${u.port}`, u.id)
  return map
}

async function writeTls(plan: ProxyPlan, paths: ProxyPaths): Promise<void> {
  if (!plan.tls) return
  await writeFileAtomic(paths.keyFile, plan.tls.keyPem, 0o600)
  await writeFileAtomic(paths.certFile, plan.tls.certPem)
}

/** Writes the config for `plan` to `file` and runs the proxy's validator on it. */
async function renderAndValidate(spec: ExternalProxySpec, binary: string, plan: ProxyPlan, paths: ProxyPaths, file: string): Promise<void> {
  await writeFileAtomic(file, spec.render(plan, paths))
  try {
    await run(binary, spec.validateArgs(file, paths), { timeout: VALIDATE_TIMEOUT_MS, env: { ...process.env, ...spec.env?.(paths) } })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    const output = `${e.stderr ?? ''}\n${e.stdout ?? ''}`.trim() || e.message
    const { file: where, line, message } = spec.parseError(output)
    throw new ProxyConfigError(spec.label, where ?? file, line, message)
  }
}

function proxyPaths(dir: string, plan: ProxyPlan): ProxyPaths {
  return { dir, accessLog: path.join(dir, 'access.log'), certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem'), adminPort: plan.adminPort ?? 0 }
}

class ExternalProxy implements RunningProxy {
  private process?: ManagedProcess
  private tail?: FileTail
  private readonly configFile: string
  private instances: Map<string, string>
  private rewrites: CompiledRewrite[]

  constructor(
    private readonly spec: ExternalProxySpec,
    private readonly binary: string,
    private plan: ProxyPlan,
    private readonly paths: ProxyPaths,
    private readonly hooks: ProxyHooks,
  ) {
    this.configFile = path.join(paths.dir, spec.configName)
    this.instances = instanceByAddress(plan)
    this.rewrites = compileRewrites(plan.settings.rewrites)
  }

  private writeTls(plan: ProxyPlan): Promise<void> {
    return writeTls(plan, this.paths)
  }

  private renderAndValidate(plan: ProxyPlan, file: string): Promise<void> {
    return renderAndValidate(this.spec, this.binary, plan, this.paths, file)
  }

  async start(): Promise<void> {
    await fs.promises.mkdir(this.paths.dir, { recursive: true, mode: 0o700 })
    await this.spec.prepare?.(this.plan, this.paths)
    await this.writeTls(this.plan)
    await this.renderAndValidate(this.plan, this.configFile)
    await fs.promises.writeFile(this.paths.accessLog, '', { flag: 'a' })
    this.tail = new FileTail(this.paths.accessLog, (lines) => this.onAccessLines(lines))
    this.tail.start()
    const proc = new ManagedProcess({
      id: `${this.plan.stackId}/${this.spec.kind}`,
      command: this.binary,
      args: this.spec.runArgs(this.configFile, this.paths),
      cwd: this.paths.dir,
      env: { ...(process.env as Record<string, string>), ...this.spec.env?.(this.paths) },
      port: this.plan.httpPort,
      readiness: { kind: 'tcp', path: '/', expectStatus: 200, timeoutMs: PROXY_READY_TIMEOUT_MS },
      // A proxy that dies on its own is started again (it re-reads its last good config), as app servers are.
      restart: { ...DEFAULT_RESTART_POLICY, initialDelayMs: PROXY_RESTART_DELAY_MS },
      stopGraceMs: PROXY_STOP_GRACE_MS,
      owner: this.plan.owner,
    })
    proc.onOutput((lines) => this.hooks.log(lines))
    proc.onState((s) => {
      if (s.state === 'exited' || s.state === 'crashed' || s.state === 'backoff' || s.state === 'failed') this.hooks.log([`${this.spec.label} ${s.state === 'backoff' ? 'exited and will be started again' : s.state}: ${s.error ?? 'unknown reason'}`])
    })
    this.process = proc
    try {
      await proc.start()
      // The readiness probe knocks on the HTTP port; the HTTPS port can open a moment later (Caddy): wait for it too.
      const { httpsPort } = this.plan
      if (httpsPort && this.plan.tls) {
        const deadline = Date.now() + PROXY_READY_TIMEOUT_MS
        while (!(await canConnect(httpsPort))) {
          if (Date.now() > deadline) throw new Error(`${this.spec.label} did not open the HTTPS port ${httpsPort} within ${PROXY_READY_TIMEOUT_MS} ms`)
          await new Promise((r) => setTimeout(r, 50))
        }
      }
    } catch (err) {
      await this.stop()
      throw err
    }
    this.hooks.log([`${this.spec.label} (${this.binary}) serving ${this.plan.hostnames.join(', ')} with ${this.configFile}`])
  }

  /** A new config is validated first; a refused one leaves the running config serving. */
  async reload(plan: ProxyPlan): Promise<void> {
    const next = `${this.configFile}.next`
    await this.spec.prepare?.(plan, this.paths)
    await this.writeTls(plan)
    await this.renderAndValidate(plan, next)
    await fs.promises.rename(next, this.configFile)
    this.plan = plan
    this.instances = instanceByAddress(plan)
    this.rewrites = compileRewrites(plan.settings.rewrites)
    const pid = this.process?.current.pid
    if (!pid) throw new Error(`${this.spec.label} is not running`)
    await this.spec.reload(this.binary, this.configFile, this.paths, pid)
    this.hooks.log([`${this.spec.label} reloaded ${this.configFile} gracefully`])
  }

  async stop(): Promise<void> {
    await this.tail?.stop()
    await this.process?.stop()
  }

  pid(): number | undefined {
    return this.process?.current.pid
  }

  /** nginx and Apache name cache files by hash: the folder is emptied whole (each takes a missing file as a miss). */
  async purgeCache(): Promise<undefined> {
    const dir = this.spec.cacheDir?.(this.paths, this.plan) ?? path.join(this.paths.dir, 'cache')
    for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) await fs.promises.rm(path.join(dir, name), { recursive: true, force: true })
    return undefined
  }

  private onAccessLines(lines: string[]): void {
    for (const line of lines) {
      const entry = this.spec.parseAccessLine(line)
      if (!entry) continue
      const { upstreamAddress, ...rest } = entry
      const upstream = upstreamAddress
        ?.split(/[,\s]+/)
        .map((a) => this.instances.get(a))
        .filter(Boolean)
        .at(-1)
      const requestHeaders = rest.requestHeaders && maskedHeaders(rest.requestHeaders, this.plan.settings.traceSecrets)
      const rewrite = applyRewrite(this.rewrites, rest.path)
      this.hooks.trace({ ...rest, ...(requestHeaders ? { requestHeaders } : {}), id: randomUUID(), stackId: this.plan.stackId, ...(upstream ? { upstream } : {}), ...(rewrite ? { rewrite } : {}) })
    }
  }
}

/** A ProxyDriver for a real server binary described by `spec`. */
export function externalProxyDriver(spec: ExternalProxySpec, binaryOverride?: () => string | undefined): ProxyDriver {
  const locate = () => findBinary(spec.binaryNames, spec.binaryDirs, binaryOverride?.())
  const need = () => {
    const binary = locate()
    if (!binary) throw new CodedError('unavailable', `${spec.label} is not installed; install it with: ${installHint(spec.install)}, or pick the built-in proxy`)
    return binary
  }
  const workDirOf = (plan: ProxyPlan) => {
    if (!plan.workDir) throw new Error('internal: no work folder for the proxy')
    return plan.workDir
  }
  return {
    kind: spec.kind,
    async detect(): Promise<DriverAvailability> {
      const binary = locate()
      if (!binary) return { available: false, problem: `${spec.label} is not installed (looked for ${spec.binaryNames.join(', ')} on PATH and in ${spec.binaryDirs.join(', ')}); install it with: ${installHint(spec.install)}` }
      return { available: true, version: await binaryVersion(binary, spec.versionArgs, spec.versionPattern) }
    },
    async validate(plan) {
      const binary = need()
      // A private folder of its own: the running server's files stay as they are.
      const paths = proxyPaths(path.join(workDirOf(plan), spec.kind, 'check'), plan)
      await fs.promises.mkdir(paths.dir, { recursive: true, mode: 0o700 })
      await spec.prepare?.(plan, paths)
      await writeTls(plan, paths)
      await renderAndValidate(spec, binary, plan, paths, path.join(paths.dir, spec.configName))
    },
    async start(plan, hooks) {
      const binary = need()
      const paths = proxyPaths(path.join(workDirOf(plan), spec.kind), plan)
      const proxy = new ExternalProxy(spec, binary, plan, paths, hooks)
      await proxy.start()
      return proxy
    },
  }
}
