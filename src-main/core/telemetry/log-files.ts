import fs from 'node:fs'
import path from 'node:path'
import type { LogLine } from '../../contract.js'

/** A process's log file is rotated when it passes this size… */
export const LOG_FILE_MAX_BYTES = 5 * 1024 * 1024
/** …keeping this many older files (`web-1.log.1` … `.3`). */
export const LOG_FILES_KEPT = 3

/** An append-only file that is renamed to .1 (.2, …) when it passes maxBytes. */
export class RotatingFile {
  private stream: fs.WriteStream
  private size: number

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    this.size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0
    this.stream = this.open()
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text)
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate()
    this.stream.write(text)
    this.size += bytes
  }

  private rotate(): void {
    this.stream.end()
    for (let i = LOG_FILES_KEPT - 1; i >= 1; i--) {
      const from = `${this.file}.${i}`
      if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${i + 1}`)
    }
    fs.renameSync(this.file, `${this.file}.1`)
    this.stream = this.open()
    this.size = 0
  }

  /** Opened synchronously, so the file exists at once (a rotation may rename it before any write lands). */
  private open(): fs.WriteStream {
    return fs.createWriteStream(this.file, { fd: fs.openSync(this.file, 'a') })
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve))
  }
}

/** One log file per process under `<dataDir>/logs/<stack>/`, with its colours, rotated by size. */
export class LogFiles {
  private readonly files = new Map<string, RotatingFile>()

  constructor(
    private readonly dir: string,
    private readonly maxBytes = LOG_FILE_MAX_BYTES,
  ) {}

  fileFor(stackId: string, source: string): string {
    return path.join(this.dir, stackId, `${source.replace(/[^a-zA-Z0-9_.-]/g, '-')}.log`)
  }

  write(lines: LogLine[]): void {
    const grouped = new Map<string, string[]>()
    for (const l of lines) {
      const file = this.fileFor(l.stackId, l.source)
      const text = `${new Date(l.time).toISOString()} ${l.text}\n`
      grouped.get(file)?.push(text) ?? grouped.set(file, [text])
    }
    for (const [file, texts] of grouped) {
      let target = this.files.get(file)
      if (!target) {
        target = new RotatingFile(file, this.maxBytes)
        this.files.set(file, target)
      }
      try {
        target.write(texts.join(''))
      } catch (err) {
        console.error(`aerie: could not write ${file}: ${(err as Error).message}`)
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()))
    this.files.clear()
  }
}
