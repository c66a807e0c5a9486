import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../atomic-file.js'

/** After SIGTERM, how long a survivor of a crashed run gets before SIGKILL. */
const REAP_GRACE_MS = 3_000

const EntrySchema = z.object({ pid: z.number().int().positive(), command: z.string(), args: z.array(z.string()), id: z.string() })
type Entry = z.infer<typeof EntrySchema>

/** The argv of a live process (Linux /proc), or undefined where the OS does not tell. */
function argvOf(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return raw.split('\0').slice(0, -1)
  } catch {
    return undefined
  }
}

/** True when the live `pid` still runs the command Aerie started (pids are reused). */
export function stillOurs(entry: Entry, argv: string[] | undefined): boolean {
  if (!argv || argv.length === 0) return false
  return path.basename(argv[0]) === path.basename(entry.command) && argv.length - 1 === entry.args.length && entry.args.every((a, i) => argv[i + 1] === a)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Every process group Aerie started and has not seen exit, in `<dataDir>/run/processes.json`,
 * so that the next engine start can reap survivors of an engine that was killed.
 */
export class ProcessRegistry {
  private readonly file: string
  /** By process id (`stack/app#n`): one live child per supervised process. */
  private entries = new Map<string, Entry>()
  private writing = Promise.resolve()

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'run', 'processes.json')
  }

  add(entry: Entry): void {
    this.entries.set(entry.id, entry)
    this.persist()
  }

  remove(id: string): void {
    if (this.entries.delete(id)) this.persist()
  }

  /** Waits for pending writes (tests and shutdown). */
  flushed(): Promise<void> {
    return this.writing
  }

  /**
   * Kills the process group of every recorded process that is still alive and still runs
   * the recorded command; returns what it reaped. Entries whose pid now runs something
   * else are dropped untouched.
   */
  async reapSurvivors(): Promise<Entry[]> {
    let recorded: Entry[] = []
    try {
      recorded = z.array(EntrySchema).parse(JSON.parse(fs.readFileSync(this.file, 'utf8')))
    } catch {
      recorded = []
    }
    const survivors = recorded.filter((e) => stillOurs(e, argvOf(e.pid)))
    for (const s of survivors) signalGroup(s.pid, 'SIGTERM')
    const deadline = Date.now() + REAP_GRACE_MS
    while (survivors.some((s) => alive(s.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    for (const s of survivors) signalGroup(s.pid, 'SIGKILL')
    this.entries.clear()
    this.persist()
    await this.flushed()
    return survivors
  }

  private persist(): void {
    const snapshot = JSON.stringify([...this.entries.values()], null, 1)
    this.writing = this.writing.then(() => writeFileAtomic(this.file, snapshot + '\n', 0o600)).catch((err) => console.error(`aerie: could not record processes: ${(err as Error).message}`))
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal)
    } catch {
      // already gone
    }
  }
}
