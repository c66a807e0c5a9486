import type { AppServer, Stack } from './stacks/stack-schema.js'
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

/** What planRollout needs of the stack's runner. */
export interface RolloutContext {
  /** The running instances. */
  instances: Instance[]
  /** Per app server, the build folder its running instances use. */
  buildSlots: ReadonlyMap<string, number>
  /** Creates (never starts) instances of one app server. */
  create(app: AppServer, index: number, options?: { numbers?: number[]; held?: Map<number, number>; slot?: number }): Promise<Instance[]>
  /** Drops created instances of a change that does not happen. */
  discard(instances: Instance[]): Promise<void>
}

/** What each app server needs for `next`; creates (never starts) the new instances. Nothing running is touched. */
export async function planRollout(previous: Stack, next: Stack, replace: string[], context: RolloutContext): Promise<Rollout> {
  const rollout: Rollout = { keep: [], fresh: [], retire: [], before: [], deferred: [], words: [] }
  try {
    for (const [index, app] of next.appServers.entries()) {
      const old = context.instances.filter((i) => i.appServer === app.name)
      const was = previous.appServers.find((a) => a.name === app.name)
      if (!was) {
        rollout.fresh.push(...(await context.create(app, index)))
        rollout.words.push(`started ${app.name} (new)`)
      } else if (json(was) === json(app) && !replace.includes(app.name)) {
        rollout.keep.push(...old)
      } else if (scalesOnly(was, app) && !replace.includes(app.name)) {
        const kept = old.filter((i) => i.instance <= app.instances)
        rollout.keep.push(...kept)
        rollout.retire.push(...old.filter((i) => i.instance > app.instances))
        const numbers = Array.from({ length: Math.max(0, app.instances - was.instances) }, (_, k) => was.instances + k + 1)
        rollout.fresh.push(...(await context.create(app, index, { numbers, held: new Map(kept.map((i) => [i.instance, i.process.spec.port])) })))
        rollout.words.push(`scaled ${app.name} from ${was.instances} to ${app.instances} instance(s)`)
      } else if (rollsSideBySide(app)) {
        const slot = 1 - (context.buildSlots.get(app.name) ?? 0)
        rollout.fresh.push(...(await context.create(app, index, { slot })))
        rollout.retire.push(...old)
        rollout.words.push(`replaced ${app.name} rolling (new instances on new ports, then the old ones drained)`)
      } else {
        rollout.before.push(...old)
        rollout.deferred.push({ app, index, held: new Map(old.map((i) => [i.instance, i.process.spec.port])) })
        const why = app.ports === 'auto' ? '`dotnet run` builds into the folder the old instances run from' : 'its ports are fixed'
        rollout.words.push(`restarted ${app.name} in place (${why}, so old and new cannot run side by side)`)
      }
    }
    for (const gone of previous.appServers.filter((a) => !next.appServers.some((b) => b.name === a.name))) {
      rollout.retire.push(...context.instances.filter((i) => i.appServer === gone.name))
      rollout.words.push(`stopped ${gone.name} (removed)`)
    }
  } catch (err) {
    await context.discard(rollout.fresh)
    throw err
  }
  return rollout
}
