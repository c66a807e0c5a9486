import { describe, expect, it } from 'vitest'
import { plainText } from '../../../src-main/core/util/terminal-text.js'

// What `dotnet run` writes through a pty before its first line, and a coloured log line.
const DOTNET = '\x1b[?25h\x1b[?1h\x1b=\x1b]0;dotnet\x07\x1b[32minfo\x1b[39m: Microsoft.Hosting.Lifetime[14]\x1b[K\r'

describe('text from a terminal, for a file or a pipe', () => {
  it('takes out cursor and mode sequences, titles and control characters, and by default the colours', () => {
    expect(plainText(DOTNET)).toBe('info: Microsoft.Hosting.Lifetime[14]')
    expect(plainText('a\tb\x08c\x1b(Bd\x1b7e\x9b31mf')).toBe('a\tbcdef')
  })
  it('keeps the colours (SGR) and nothing else when asked', () => {
    expect(plainText(DOTNET, { keepColors: true })).toBe('\x1b[32minfo\x1b[39m: Microsoft.Hosting.Lifetime[14]')
    expect(plainText('\x1b[1;38;5;208mx\x1b[0m\x1b[2J', { keepColors: true })).toBe('\x1b[1;38;5;208mx\x1b[0m')
  })
  it('leaves plain text and other scripts as they are', () => {
    expect(plainText('GET /café → 200 ✓')).toBe('GET /café → 200 ✓')
  })
})
