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
