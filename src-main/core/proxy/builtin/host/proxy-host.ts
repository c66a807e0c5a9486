/**
 * The built-in proxy's own process: it owns the listeners and forwards requests, and the engine
 * only sends it plans. No request, however malformed, reaches the engine's event loop, and a fault
 * here ends this process, which the engine restarts (see proxy-host-client.ts).
 */
import type { Trace } from '../../../../contract.js'
import type { ProxyPlan } from '../../proxy-driver.js'
import { attachStack, detachStack } from '../listener-hub.js'
import { StackProxy } from '../stack-proxy.js'
import type { HostCommand, HostEvent, UpstreamStates, WirePlan } from './host-protocol.js'
import { TraceEncoder } from '../../../telemetry/trace-wire.js'
import { codeOf } from '../../../error-codes.js'

/** Traces cross to the engine in batches: one IPC message per interval instead of one per request. */
const TRACE_BATCH_MS = 50

/** AERIE_PROXY_TRACES=off drops traces in this process: only `npm run bench` sets it, to measure what recording them costs. */
const TRACES_ON = process.env.AERIE_PROXY_TRACES !== 'off'

const send = (event: HostEvent) => process.send?.(event)

/** One stack's traces, encoded as each request finishes and sent once per interval. */
class TraceSender {
  private readonly encoder = new TraceEncoder()
  private timer?: NodeJS.Timeout

  constructor(private readonly key: string) {}

  add(trace: Trace): void {
    this.encoder.add(trace)
    this.timer ??= setTimeout(() => this.flush(), TRACE_BATCH_MS)
  }

  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.encoder.take()
    if (batch) send({ type: 'traces', key: this.key, batch })
  }
}

interface Attached {
  plan: ProxyPlan
  stack: StackProxy
  states: UpstreamStates
  traces: TraceSender
}

const attached = new Map<string, Attached>()

/** The plan with live upstreams that read the latest states the engine sent. */
function livePlan(wire: WirePlan, entry: { states: UpstreamStates }): ProxyPlan {
  return {
    ...wire,
    routes: wire.routes.map((r) => ({
      ...r,
      upstreams: r.upstreams.map((u) => ({ ...u, state: () => entry.states[u.id]?.[0] ?? 'stopped', problem: () => entry.states[u.id]?.[1] })),
    })),
  }
}

async function listen(plan: ProxyPlan, stack: StackProxy): Promise<void> {
  const { listenHost, httpPort, httpsPort, tls } = plan
  await attachStack('http', listenHost, httpPort, stack, 'proxy.httpPort')
  if (httpsPort && tls) {
    try {
      await attachStack('https', listenHost, httpsPort, stack, 'proxy.httpsPort')
    } catch (err) {
      await detachStack(listenHost, httpPort, stack)
      throw err
    }
  }
}

async function run(command: HostCommand): Promise<number | void> {
  switch (command.type) {
    case 'attach': {
      const entry = { states: command.states } as Attached
      entry.traces = new TraceSender(command.key)
      entry.plan = livePlan(command.plan, entry)
      entry.stack = new StackProxy(entry.plan, { log: (lines) => send({ type: 'log', key: command.key, lines }), trace: TRACES_ON ? (t) => entry.traces.add(t) : () => undefined })
      await listen(entry.plan, entry.stack)
      attached.set(command.key, entry)
      return
    }
    case 'update': {
      const entry = attached.get(command.key)
      if (!entry) throw new Error(`no stack ${command.key} in the proxy process`)
      entry.states = command.states
      const before = entry.plan
      const next = livePlan(command.plan, entry)
      entry.stack.update(next)
      try {
        // New host names, certificate or ports: attached again (a listener it already has takes the new names and certificate).
        await listen(next, entry.stack)
      } catch (err) {
        entry.stack.update(before)
        await listen(before, entry.stack).catch(() => undefined)
        throw err
      }
      entry.plan = next
      const listening = (p: ProxyPlan) => [p.httpPort, ...(p.httpsPort && p.tls ? [p.httpsPort] : [])].map((port) => `${p.listenHost}:${port}`)
      for (const address of listening(before)) {
        if (listening(next).includes(address)) continue
        const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))]
        await detachStack(host, port, entry.stack)
      }
      return
    }
    case 'detach': {
      const entry = attached.get(command.key)
      if (!entry) return
      attached.delete(command.key)
      entry.traces.flush()
      entry.stack.stop()
      const { listenHost, httpPort, httpsPort } = entry.plan
      await detachStack(listenHost, httpPort, entry.stack)
      if (httpsPort) await detachStack(listenHost, httpsPort, entry.stack)
      return
    }
    case 'purge':
      return attached.get(command.key)?.stack.purgeCache(command.prefix) ?? 0
    case 'states': {
      const entry = attached.get(command.key)
      if (entry) entry.states = command.states
      return
    }
  }
}

process.on('message', (command: HostCommand) => {
  run(command).then(
    (value) => 'id' in command && send({ type: 'reply', id: command.id, ...(typeof value === 'number' ? { value } : {}) }),
    (err: Error) => 'id' in command && send({ type: 'reply', id: command.id, error: err.message, code: codeOf(err) }),
  )
})
// The engine went away (or closed the channel): nothing may keep serving on its behalf.
process.on('disconnect', () => process.exit(0))
process.on('uncaughtException', (err) => {
  // Logged on every stack (the engine adds the restart), then this process ends: its state is unknown now.
  const lines = [`built-in proxy process failed: ${err.stack ?? err.message}`]
  const keys = [...attached.keys()]
  if (!keys.length || !process.send) process.exit(70)
  keys.forEach((key, i) => process.send!({ type: 'log', key, lines } satisfies HostEvent, undefined, {}, () => i === keys.length - 1 && process.exit(70)))
})
send({ type: 'ready', pid: process.pid })
