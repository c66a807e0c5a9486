import fs from 'node:fs'
import { LineSplitter } from '../../util/line-splitter.js'

/** How often the access log is checked for new lines: traces show up within this delay. */
const TAIL_INTERVAL_MS = 200

/** Follows a log file from its current end, handing over complete new lines; survives truncation. */
export class FileTail {
  private offset = 0
  private timer?: NodeJS.Timeout
  private readonly lines = new LineSplitter()
  private reading = false

  constructor(
    private readonly file: string,
    private readonly onLines: (lines: string[]) => void,
  ) {}

  start(): void {
    this.offset = fs.statSync(this.file, { throwIfNoEntry: false })?.size ?? 0
    this.timer = setInterval(() => void this.poll(), TAIL_INTERVAL_MS)
    this.timer.unref()
  }

  async poll(): Promise<void> {
    if (this.reading) return
    this.reading = true
    try {
      const size = fs.statSync(this.file, { throwIfNoEntry: false })?.size ?? 0
      if (size < this.offset) this.offset = 0
      if (size === this.offset) return
      const handle = await fs.promises.open(this.file, 'r')
      try {
        const buffer = Buffer.alloc(size - this.offset)
        await handle.read(buffer, 0, buffer.length, this.offset)
        this.offset = size
        const lines = this.lines.push(buffer.toString('utf8')).filter((l) => l.trim())
        if (lines.length) this.onLines(lines)
      } finally {
        await handle.close()
      }
    } finally {
      this.reading = false
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.poll()
  }
}
