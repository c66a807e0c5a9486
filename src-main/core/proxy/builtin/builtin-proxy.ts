import type { DriverAvailability, ProxyDriver, ProxyHooks, ProxyPlan, RunningProxy } from '../proxy-driver.js'
import { attachStack, detachStack, hubListensOn } from './listener-hub.js'
import { StackProxy } from './stack-proxy.js'

/** One stack on the built-in proxy: attached to the shared HTTP (and HTTPS) listeners of its ports. */
class BuiltinProxy implements RunningProxy {
  private readonly stack: StackProxy
  private stopped = false

  constructor(
    private plan: ProxyPlan,
    private readonly hooks: ProxyHooks,
  ) {
    this.stack = new StackProxy(plan, hooks)
  }

  async listen(): Promise<void> {
    const { listenHost, httpPort, httpsPort, tls } = this.plan
    await attachStack('http', listenHost, httpPort, this.stack, 'proxy.httpPort')
    this.hooks.log([`built-in proxy serving ${this.plan.hostnames.join(', ')} on http://${listenHost}:${httpPort}`])
    if (httpsPort && tls) {
      try {
        await attachStack('https', listenHost, httpsPort, this.stack, 'proxy.httpsPort')
      } catch (err) {
        await this.stop()
        throw err
      }
      this.hooks.log([`built-in proxy serving ${this.plan.hostnames.join(', ')} on https://${listenHost}:${httpsPort} (HTTP/2 and HTTP/1.1)`])
    }
  }

  async reload(plan: ProxyPlan): Promise<void> {
    const same = plan.listenHost === this.plan.listenHost && plan.httpPort === this.plan.httpPort && plan.httpsPort === this.plan.httpsPort && plan.tls?.certPem === this.plan.tls?.certPem
    if (!same) throw new Error('the built-in proxy applies a new port or certificate by restarting the stack')
    this.plan = plan
    this.stack.update(plan)
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.stack.stop()
    await detachStack(this.plan.listenHost, this.plan.httpPort, this.stack)
    if (this.plan.httpsPort) await detachStack(this.plan.listenHost, this.plan.httpsPort, this.stack)
    this.hooks.log(['built-in proxy stopped serving this stack'])
  }
}

export const builtinProxyDriver: ProxyDriver = {
  kind: 'builtin',
  async detect(): Promise<DriverAvailability> {
    return { available: true, version: process.version }
  },
  async start(plan, hooks) {
    const proxy = new BuiltinProxy(plan, hooks)
    await proxy.listen()
    return proxy
  },
  ownsPort: hubListensOn,
}
