import type { AppServer } from './stacks/stack-schema.js'
import type { Instance } from './stack-plan.js'

/** How long replaced instances keep answering the requests already sent to them, once the proxy sends them no new ones. */
export const DRAIN_MS = 1_500

/** A change to the running instances, planned before any process is touched. */
export interface Rollout {
  /** Instances that carry on as they are. */
  keep: Instance[]
  /** New instances, created (ports allocated, .NET built) but not started. */
  fresh: Instance[]
  /** Old instances stopped once the proxy sends them nothing new (after DRAIN_MS). */
  retire: Instance[]
  /** Old instances that must stop before their replacements start: fixed ports, or `dotnet run` building into the folder they run from. */
  before: Instance[]
  /** Replacements of `before`, created once those stopped. */
  deferred: { app: AppServer; index: number; held: Map<number, number> }[]
  words: string[]
}

const json = (value: unknown) => JSON.stringify(value)

/** True when two versions of an app server differ only in how many instances run (and the ports of the added ones). */
export function scalesOnly(was: AppServer, app: AppServer): boolean {
  const rest = (a: AppServer) => json({ ...a, instances: 0, ports: a.ports === 'auto' ? 'auto' : 'fixed' })
  if (rest(was) !== rest(app)) return false
  if (was.ports === 'auto' || app.ports === 'auto') return true
  const shared = Math.min(was.ports.length, app.ports.length)
  return json(was.ports.slice(0, shared)) === json(app.ports.slice(0, shared))
}

/** Old and new instances can run side by side (rolling): not on fixed ports, nor with `dotnet run`, which builds into the folder the old ones run from. */
export function rollsSideBySide(app: AppServer): boolean {
  return app.ports === 'auto' && !(app.kind === 'dotnet' && app.dotnetMode === 'run')
}
