import Anser from 'anser'

export interface AnsiSpan {
  text: string
  classes: string[]
}

/** Splits a log line with ANSI SGR codes into text spans with `ansi-*` classes (colours live in styles.css). */
export function ansiToSpans(line: string): AnsiSpan[] {
  if (!line.includes('\x1b')) return [{ text: line, classes: [] }]
  return Anser.ansiToJson(line, { use_classes: true, remove_empty: true }).map((e) => ({
    text: e.content,
    classes: [e.fg ? `${e.fg}-fg` : '', e.bg ? `${e.bg}-bg` : '', ...e.decorations.map((d) => `ansi-${d}`)].filter(Boolean),
  }))
}

/** A span's text cut around the case-insensitive occurrences of `needle` (the log filter), for <mark>. */
export function highlightParts(text: string, needle: string): { text: string; hit: boolean }[] {
  if (!needle) return [{ text, hit: false }]
  const parts: { text: string; hit: boolean }[] = []
  const lower = text.toLowerCase()
  const n = needle.toLowerCase()
  let at = 0
  for (let i = lower.indexOf(n); i !== -1; i = lower.indexOf(n, at)) {
    if (i > at) parts.push({ text: text.slice(at, i), hit: false })
    parts.push({ text: text.slice(i, i + n.length), hit: true })
    at = i + n.length
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false })
  return parts
}
