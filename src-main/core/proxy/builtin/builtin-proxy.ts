import type { DriverAvailability, ProxyDriver, ProxyHooks, ProxyPlan, RunningProxy } from '../proxy-driver.js'
import { proxyHost } from './host/proxy-host-client.js'

/** Stacks in one engine process may share an id (tests run two engines): each attachment gets its own key. */
let attachments = 0

/** One stack on the built-in proxy, served by the proxy's own process (see host/proxy-host.ts). */
class BuiltinProxy implements RunningProxy {
  private readonly key: string
  private stopped = false

  constructor(
    private plan: ProxyPlan,
    private readonly hooks: ProxyHooks,
  ) {
    this.key = `${plan.stackId}#${++attachments}`
  }

  async listen(): Promise<void> {
    const { listenHost, httpPort, httpsPort, tls, hostnames } = this.plan
    await proxyHost.attach(this.key, this.plan, this.hooks)
    this.hooks.log([`built-in proxy (pid ${proxyHost.pid()}) serving ${hostnames.join(', ')} on http://${listenHost}:${httpPort}`])
    if (httpsPort && tls) this.hooks.log([`built-in proxy serving ${hostnames.join(', ')} on https://${listenHost}:${httpsPort} (HTTP/2 and HTTP/1.1)`])
  }

  async reload(plan: ProxyPlan): Promise<void> {
    await proxyHost.update(this.key, plan)
    this.plan = plan
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await proxyHost.detach(this.key)
    this.hooks.log(['built-in proxy stopped serving this stack'])
  }

  purgeCache(prefix?: string): Promise<number> {
    return proxyHost.purgeCache(this.key, prefix)
  }

  instancesChanged(): void {
    proxyHost.syncStates(this.key)
  }

  pid(): number | undefined {
    return proxyHost.pid()
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
  ownsPort: (host, port) => proxyHost.listensOn(host, port),
}
