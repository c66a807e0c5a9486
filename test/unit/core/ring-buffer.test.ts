import { describe, expect, it } from 'vitest'
import { RingBuffer } from '../../../src-main/core/telemetry/ring-buffer.js'
import { LineSplitter } from '../../../src-main/core/util/line-splitter.js'

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new RingBuffer<number>(3)
    for (let i = 1; i <= 5; i++) ring.push(i)
    expect(ring.size).toBe(3)
    expect(ring.tail(10)).toEqual([3, 4, 5])
    expect(ring.tail(2)).toEqual([4, 5])
    expect(ring.tail(10, (n) => n % 2 === 1)).toEqual([3, 5])
  })

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/positive integer/)
  })
})

describe('LineSplitter', () => {
  it('joins partial chunks and strips the terminal CR', () => {
    const s = new LineSplitter()
    expect(s.push('hel')).toEqual([])
    expect(s.push('lo\r\nwor')).toEqual(['hello'])
    expect(s.push('ld\r\n\r\n')).toEqual(['world', ''])
    expect(s.push('tail')).toEqual([])
    expect(s.flush()).toEqual(['tail'])
    expect(s.flush()).toEqual([])
  })
})
