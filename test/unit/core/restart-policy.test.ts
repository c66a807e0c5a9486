import { describe, expect, it } from 'vitest'
import { DEFAULT_RESTART_POLICY as policy, nextRestartDelay, wantsRestart } from '../../../src-main/core/supervisor/restart-policy.js'

describe('restart policy', () => {
  it('restarts on failure only when the exit was not clean, always always, never never', () => {
    expect(wantsRestart('on-failure', 1, undefined)).toBe(true)
    expect(wantsRestart('on-failure', 0, 9)).toBe(true)
    expect(wantsRestart('on-failure', 0, undefined)).toBe(false)
    expect(wantsRestart('always', 0, undefined)).toBe(true)
    expect(wantsRestart('never', 134, undefined)).toBe(false)
  })

  it('doubles the delay from 1 s up to 30 s', () => {
    const delays: (number | undefined)[] = []
    const crashes: number[] = []
    const loose = { ...policy, burst: 100, windowMs: 1e9 }
    for (let i = 0; i < 7; i++) {
      crashes.push(i)
      delays.push(nextRestartDelay(crashes, i, loose))
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
  })

  it('gives up after more than `burst` crashes within the window, and forgets old ones', () => {
    const now = 100_000
    expect(nextRestartDelay([now - 4, now - 3, now - 2, now - 1, now], now, policy)).toBe(16_000)
    expect(nextRestartDelay([now - 5, now - 4, now - 3, now - 2, now - 1, now], now, policy)).toBeUndefined()
    expect(nextRestartDelay([now - 90_000, now - 80_000, now - 70_000, now - 65_000, now - 61_000, now], now, policy)).toBe(1000)
  })
})
