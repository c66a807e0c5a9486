/** Turns a stream of terminal chunks into whole lines; a partial line waits for the next chunk or flush(). */
export class LineSplitter {
  private pending = ''

  push(chunk: string): string[] {
    const text = this.pending + chunk
    const parts = text.split('\n')
    this.pending = parts.pop() ?? ''
    return parts.map(stripCarriageReturn)
  }

  flush(): string[] {
    if (!this.pending) return []
    const last = stripCarriageReturn(this.pending)
    this.pending = ''
    return [last]
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}
