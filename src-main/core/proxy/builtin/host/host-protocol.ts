import type { ErrorCode } from '../../../error-codes.js'
import type { ProcessState } from '../../../supervisor/managed-process.js'
import type { PlanRoute, ProxyPlan } from '../../proxy-driver.js'
import type { TraceBatch } from '../../../telemetry/trace-wire.js'

/**
 * The messages between the engine and the built-in proxy's own process (Node IPC, structured clone).
 * A plan crosses as data: an instance's live state is sent as it changes, not read through a function.
 */

export interface WireUpstream {
  id: string
  host: string
  port: number
}

export type WirePlan = Omit<ProxyPlan, 'routes'> & { routes: (Omit<PlanRoute, 'upstreams'> & { upstreams: WireUpstream[] })[] }

/** `[state, problem]` of every instance of one stack, by instance id. */
export type UpstreamStates = Record<string, [ProcessState, string | undefined]>

export type HostCommand =
  | { type: 'attach'; id: number; key: string; plan: WirePlan; states: UpstreamStates }
  | { type: 'update'; id: number; key: string; plan: WirePlan; states: UpstreamStates }
  | { type: 'detach'; id: number; key: string }
  | { type: 'purge'; id: number; key: string; prefix?: string }
  | { type: 'states'; key: string; states: UpstreamStates }

export type HostEvent =
  | { type: 'ready'; pid: number }
  | { type: 'reply'; id: number; error?: string; code?: ErrorCode; value?: number }
  | { type: 'log'; key: string; lines: string[] }
  | { type: 'traces'; key: string; batch: TraceBatch }

export function toWirePlan(plan: ProxyPlan): WirePlan {
  return { ...plan, routes: plan.routes.map((r) => ({ ...r, upstreams: r.upstreams.map(({ id, host, port }) => ({ id, host, port })) })) }
}

export function upstreamStates(plan: ProxyPlan): UpstreamStates {
  const states: UpstreamStates = {}
  for (const route of plan.routes) for (const u of route.upstreams) states[u.id] = [u.state(), u.problem()]
  return states
}
