import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { LogLine } from '../../contract.js'
import { plainText } from '../util/terminal-text.js'

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
      // Files are plain text: no colours, no cursor or mode sequences from the pty.
      const text = `${new Date(l.time).toISOString()} ${plainText(l.text)}\n`
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

  /** Closes the files of one stack (before they are removed with it). */
  async closeStack(stackId: string): Promise<void> {
    const dir = path.join(this.dir, stackId) + path.sep
    for (const [file, target] of this.files) {
      if (!file.startsWith(dir)) continue
      this.files.delete(file)
      await target.close()
    }
  }
}

/** How much of the end of each log file `readLogTail` reads: enough for any sensible `limit`. */
const TAIL_READ_BYTES = 256 * 1024

/**
 * The last `limit` lines of the log files under `dir` (of one stack, or all), oldest first, read
 * without an engine and without writing anything (`aerie logs` when no engine runs). A file's
 * name stands for its source; `seq` numbers the result.
 */
export async function readLogTail(dir: string, stackId: string | undefined, limit: number): Promise<LogLine[]> {
  const stacks = stackId ? [stackId] : await fsp.readdir(dir).catch(() => [] as string[])
  const lines: LogLine[] = []
  for (const stack of stacks) {
    const names = await fsp.readdir(path.join(dir, stack)).catch(() => [] as string[])
    for (const name of names.filter((n) => n.endsWith('.log'))) {
      const source = name.slice(0, -'.log'.length)
      for (const text of await readEnd(path.join(dir, stack, name))) {
        const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (.*)$/s.exec(text)
        if (!match) continue
        const time = Date.parse(match[1])
        lines.push({ seq: 0, time, stackId: stack, source, stream: source === 'aerie' || source === 'proxy' ? 'system' : 'out', text: match[2] })
      }
    }
  }
  // A stable sort keeps each file's own order for lines of the same millisecond.
  lines.sort((a, b) => a.time - b.time)
  return lines.slice(-limit).map((l, i) => ({ ...l, seq: i + 1 }))
}

async function readEnd(file: string): Promise<string[]> {
  const handle = await fsp.open(file, 'r').catch(() => undefined)
  if (!handle) return []
  try {
    const { size } = await handle.stat()
    const start = Math.max(0, size - TAIL_READ_BYTES)
    const buffer = Buffer.alloc(size - start)
    await handle.read(buffer, 0, buffer.length, start)
    const lines = buffer.toString('utf8').split('\n')
    if (start > 0) lines.shift() // cut mid-line
    return lines.filter((l) => l.length > 0)
  } finally {
    await handle.close()
  }
}
