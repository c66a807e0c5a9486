import { describe, expect, it } from 'vitest'
import { RingBuffer } from '../../../src-main/core/telemetry/ring-buffer.js'
import { LineSplitter, MAX_LINE_CHARS, SPLIT_MARK } from '../../../src-main/core/util/line-splitter.js'

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

  it('splits a line with no newline at 64 KiB, marks each piece, and loses nothing', () => {
    const s = new LineSplitter()
    const line = 'x'.repeat(10 * 1024 * 1024 + 5)
    const out: string[] = []
    for (let i = 0; i < line.length; i += 4096) out.push(...s.push(line.slice(i, i + 4096)))
    out.push(...s.push('\nnext\n'))
    expect(out).toHaveLength(Math.ceil(line.length / MAX_LINE_CHARS) + 1)
    expect(out.slice(0, -2).every((l) => l.length === MAX_LINE_CHARS + SPLIT_MARK.length && l.endsWith(SPLIT_MARK))).toBe(true)
    expect(out.slice(0, -1).map((l) => l.replace(SPLIT_MARK, '')).join('')).toBe(line)
    expect(out.at(-1)).toBe('next')
    // A line of exactly the limit is not split.
    expect(new LineSplitter().push(`${'y'.repeat(MAX_LINE_CHARS)}\n`)).toEqual(['y'.repeat(MAX_LINE_CHARS)])
  })
})
