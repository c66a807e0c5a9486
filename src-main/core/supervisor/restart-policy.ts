/** When and how soon a process that exited on its own is started again. Pure functions only. */

export type RestartMode = 'never' | 'on-failure' | 'always'

export interface RestartPolicy {
  mode: RestartMode
  /** Delay before the first restart; each further crash in the window doubles it. */
  initialDelayMs: number
  maxDelayMs: number
  /** More than `burst` crashes within `windowMs` is a crash loop: the process is marked failed (as systemd's StartLimitBurst). */
  burst: number
  windowMs: number
}

/** 1 s doubling to 30 s; 5 crashes in a minute is a loop. Close to systemd's defaults (5 starts / 10 s) but kinder to slow-starting apps. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { mode: 'on-failure', initialDelayMs: 1_000, maxDelayMs: 30_000, burst: 5, windowMs: 60_000 }

export function wantsRestart(mode: RestartMode, exitCode: number | undefined, signal: number | undefined): boolean {
  if (mode === 'never') return false
  if (mode === 'always') return true
  return Boolean(signal) || exitCode !== 0
}

/**
 * The delay before the next restart, given the times of every crash so far (the newest last),
 * or undefined when the crashes within the window exceed the burst: give up.
 */
export function nextRestartDelay(crashTimes: readonly number[], now: number, policy: RestartPolicy): number | undefined {
  const recent = crashTimes.filter((t) => now - t <= policy.windowMs).length
  if (recent > policy.burst) return undefined
  const exponent = Math.max(0, recent - 1)
  return Math.min(policy.initialDelayMs * 2 ** exponent, policy.maxDelayMs)
}
