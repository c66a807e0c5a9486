import type { DataLayout } from './data-layout.js'
import type { ProxyPlan, RunningProxy } from './proxy/proxy-driver.js'
import { proxyDriver } from './proxy/proxy-drivers.js'
import type { Stack } from './stacks/stack-schema.js'
import { findFreePort } from './supervisor/ports.js'
import { LOG_FILE_MAX_BYTES, RotatingFile } from './telemetry/log-files.js'
import { proxyHooks } from './telemetry/proxy-hooks.js'
import type { Telemetry } from './telemetry/telemetry.js'

/**
 * A stack's proxy while it runs, with what lives exactly as long as it: the admin port a Caddy is
 * given and the file its traces go to (proxy.traceFile).
 */
export class ProxyRun {
  running?: RunningProxy
  /** Caddy's admin API port, for the plan (undefined for the other proxies). */
  adminPort?: number
  private traceFile?: RotatingFile

  constructor(
    private readonly telemetry: Telemetry,
    private readonly layout: DataLayout,
  ) {}

  /** Starts the stack's proxy on the plan `plan` makes (once the admin port is chosen). */
  async start(stack: Stack, plan: () => ProxyPlan): Promise<void> {
    this.adminPort = stack.proxy.kind === 'caddy' ? await findFreePort() : undefined
    this.traceFile = stack.proxy.traceFile ? new RotatingFile(this.layout.traces(stack.id), LOG_FILE_MAX_BYTES) : undefined
    this.running = await proxyDriver(stack.proxy.kind).start(plan(), proxyHooks(this.telemetry, stack.id, this.traceFile))
  }

  async stop(): Promise<void> {
    await this.running?.stop()
    this.running = undefined
    await this.traceFile?.close()
    this.traceFile = undefined
  }
}
