import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../atomic-file.js'
import { dataLayout } from '../data-layout.js'
import type { ManagedProcess } from './managed-process.js'
import { isAlive, ownerTag, processStartTime, tagOf, taggedProcesses, terminate } from './process-tree.js'

/** After SIGTERM, how long a survivor of a crashed run gets before SIGKILL. */
const REAP_GRACE_MS = 3_000

const EntrySchema = z.object({
  pid: z.number().int().positive(),
  command: z.string(),
  args: z.array(z.string()),
  id: z.string(),
  startTime: z.string().optional(),
  tag: z.string().optional(),
})
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

/**
 * True when the live `pid` is still the process Aerie started (pids are reused): its start time
 * matches the recorded one. Only where no start time was recorded (no /proc at spawn) is the
 * command line compared, which a shebang script or `sh -c` defeats.
 */
export function stillOurs(entry: Entry, now: { startTime?: string; argv?: string[] }): boolean {
  if (entry.startTime !== undefined) return now.startTime === entry.startTime
  const argv = now.argv
  if (!argv || argv.length === 0) return false
  return path.basename(argv[0]) === path.basename(entry.command) && argv.length - 1 === entry.args.length && entry.args.every((a, i) => argv[i + 1] === a)
}

/** `stack/app#1` out of `<owner>/stack/app#1/<nonce>`. */
function idOfTag(tag: string | undefined): string {
  return tag?.split('/').slice(1, -1).join('/') || 'unknown'
}

/**
 * Every process Aerie started and has not seen exit, in `<dataDir>/run/processes.json` (pid,
 * start time, tag), so that the next engine can reap survivors of an engine that was killed.
 */
export class ProcessRegistry {
  private readonly file: string
  readonly owner: string
  /** By pid: a rolling change runs two launches of one process id side by side. */
  private entries = new Map<number, Entry>()
  private writing = Promise.resolve()

  constructor(dataDir: string) {
    this.file = dataLayout(dataDir).processes
    this.owner = ownerTag(dataDir)
  }

  add(entry: Entry): void {
    this.entries.set(entry.pid, entry)
    this.persist()
  }

  remove(pid: number): void {
    if (this.entries.delete(pid)) this.persist()
  }

  /** Records each launch of `process` (pid, start time, tag) until it ends. */
  track(process: ManagedProcess): void {
    let recorded: number | undefined
    process.onSpawn(({ pid, command, args, startTime, tag }) => {
      recorded = pid
      this.add({ pid, command, args, id: process.spec.id, startTime, tag })
    })
    process.onState((s) => {
      if (s.pid || recorded === undefined) return
      this.remove(recorded)
      recorded = undefined
    })
  }

  /** Waits for pending writes (tests and shutdown). */
  flushed(): Promise<void> {
    return this.writing
  }

  /**
   * Stops what an earlier engine of this data directory left running: each recorded process that
   * is still the one it started (its process group), and every process that carries this data
   * directory's tag (descendants that left the group or were re-parented). A recorded pid that
   * now belongs to another process is left alone. Returns what it reaped.
   */
  async reapSurvivors(): Promise<{ id: string; pid: number }[]> {
    let recorded: Entry[] = []
    try {
      recorded = z.array(EntrySchema).parse(JSON.parse(fs.readFileSync(this.file, 'utf8')))
    } catch {
      recorded = []
    }
    const groups = recorded.filter((e) => isAlive(e.pid) && stillOurs(e, { startTime: processStartTime(e.pid), argv: argvOf(e.pid) }))
    const tagged = taggedProcesses({ prefix: this.owner }).filter((pid) => !groups.some((g) => g.pid === pid))
    const reaped = [...groups.map((g) => ({ id: g.id, pid: g.pid })), ...tagged.map((pid) => ({ id: idOfTag(tagOf(pid)), pid }))]
    await terminate(groups.map((g) => g.pid), REAP_GRACE_MS, (pid) => [-pid, pid])
    await terminate(tagged, REAP_GRACE_MS)
    this.entries.clear()
    this.persist()
    await this.flushed()
    return reaped
  }

  private persist(): void {
    const snapshot = JSON.stringify([...this.entries.values()], null, 1)
    this.writing = this.writing.then(() => writeFileAtomic(this.file, snapshot + '\n', 0o600)).catch((err) => console.error(`aerie: could not record processes: ${(err as Error).message}`))
  }
}
