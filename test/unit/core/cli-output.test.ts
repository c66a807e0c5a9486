import { describe, expect, it } from 'vitest'
import { wantsColor } from '../../../src-main/cli/color.js'
import { errorText, formatLogLine, setColors } from '../../../src-main/cli/format.js'

describe('colours on the command line', () => {
  const tty = { isTTY: true }
  const pipe = { isTTY: false }
  it('follow each stream: a terminal gets them, a pipe does not', () => {
    expect(wantsColor(tty, undefined, {})).toBe(true)
    expect(wantsColor(pipe, undefined, {})).toBe(false)
    expect(wantsColor(tty, undefined, { TERM: 'dumb' })).toBe(false)
  })
  it('NO_COLOR turns them off, FORCE_COLOR on (but 0 and false), and --color/--no-color win over both', () => {
    expect(wantsColor(tty, undefined, { NO_COLOR: '1' })).toBe(false)
    expect(wantsColor(pipe, undefined, { FORCE_COLOR: '1' })).toBe(true)
    expect(wantsColor(pipe, undefined, { FORCE_COLOR: '' })).toBe(true)
    expect(wantsColor(tty, undefined, { FORCE_COLOR: '0' })).toBe(false)
    expect(wantsColor(tty, undefined, { FORCE_COLOR: 'false' })).toBe(false)
    expect(wantsColor(pipe, true, { NO_COLOR: '1' })).toBe(true)
    expect(wantsColor(tty, false, { FORCE_COLOR: '1' })).toBe(false)
  })
})

describe('log lines on the command line', () => {
  const line = { seq: 1, time: 0, stackId: 'demo', source: 'web#1', stream: 'out' as const, text: '\x1b[?25h\x1b[?1h\x1b=\x1b[32minfo\x1b[39m: listening' }
  it('carry no cursor or mode sequences, and no colours unless colours are on', () => {
    setColors(false)
    expect(formatLogLine(line)).toBe('web#1 | info: listening')
    expect(errorText('aerie: x')).toBe('aerie: x')
    setColors(true)
    expect(formatLogLine(line)).toBe('\x1b[34mweb#1 |\x1b[0m \x1b[32minfo\x1b[39m: listening')
    expect(errorText('aerie: x')).toBe('\x1b[31maerie: x\x1b[0m')
    setColors(undefined)
  })
})
