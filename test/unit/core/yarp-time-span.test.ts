import { describe, expect, it } from 'vitest'
import { timeSpan } from '../../../src-main/core/proxy/export/render-yarp.js'

describe('YARP TimeSpan values', () => {
  it('keep sub-second and multi-day durations (YARP refuses an interval of 00:00:00)', () => {
    expect(timeSpan(500)).toBe('00:00:00.500')
    expect(timeSpan(5_000)).toBe('00:00:05')
    expect(timeSpan(90 * 60_000)).toBe('01:30:00')
    expect(timeSpan(2 * 86_400_000 + 1_000)).toBe('2.00:00:01')
  })
})
