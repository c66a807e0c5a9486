/** Longer lines are split at this many characters (a 100 MB line with no newline must not grow the engine without bound). */
export const MAX_LINE_CHARS = 64 * 1024
/** Appended to each piece of a split line, so that the log says what happened. */
export const SPLIT_MARK = ' […line continues: split at 64 KiB]'

/**
 * Turns a stream of terminal chunks into whole lines; a partial line waits for the next chunk or
 * flush(). Linear time: only the new chunk is searched for line breaks, never the pending text.
 */
export class LineSplitter {
  private pending = ''

  push(chunk: string): string[] {
    const out: string[] = []
    let start = 0
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      this.append(chunk.slice(start, nl), out)
      out.push(stripCarriageReturn(this.pending))
      this.pending = ''
      start = nl + 1
    }
    this.append(chunk.slice(start), out)
    return out
  }

  flush(): string[] {
    if (!this.pending) return []
    const last = stripCarriageReturn(this.pending)
    this.pending = ''
    return [last]
  }

  private append(text: string, out: string[]): void {
    this.pending += text
    while (this.pending.length > MAX_LINE_CHARS) {
      out.push(this.pending.slice(0, MAX_LINE_CHARS) + SPLIT_MARK)
      this.pending = this.pending.slice(MAX_LINE_CHARS)
    }
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}
