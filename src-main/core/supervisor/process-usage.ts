import fs from 'node:fs'

/** Linux's clock ticks per second for /proc CPU times (USER_HZ, 100 on every architecture Linux runs on). */
const TICKS_PER_SECOND = 100

interface Reading {
  ticks: number
  at: number
  cpuPercent?: number
  rssMB: number
}

const readings = new Map<number, Reading>()

/** A process and its descendants (a `dotnet run` or a shell wrapper does its work in children), from /proc. */
function processTree(pid: number, depth = 0): number[] {
  const out = [pid]
  if (depth > 8) return out
  let tasks: string[] = []
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`)
  } catch {
    return out
  }
  for (const tid of tasks) {
    let children = ''
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
    } catch {
      continue
    }
    for (const child of children.split(' ').filter(Boolean)) out.push(...processTree(Number(child), depth + 1))
  }
  return out
}

/** User + system CPU ticks and resident memory of one process, or undefined when it is gone (or there is no /proc). */
function readProcess(pid: number): { ticks: number; rssKB: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // After the command name (in parentheses, which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return { ticks: Number(fields[11]) + Number(fields[12]), rssKB: rss ? Number(rss[1]) : 0 }
  } catch {
    return undefined
  }
}

/**
 * Takes a reading of each process (with its descendants): CPU since the last reading, as a
 * percentage of one core, and resident memory. Processes not listed are forgotten.
 */
export function sampleUsage(pids: number[], now = Date.now()): void {
  const keep = new Set(pids)
  for (const pid of readings.keys()) if (!keep.has(pid)) readings.delete(pid)
  for (const pid of pids) {
    const parts = processTree(pid).map(readProcess).filter((r) => r !== undefined)
    if (!parts.length) {
      readings.delete(pid)
      continue
    }
    const ticks = parts.reduce((sum, r) => sum + r.ticks, 0)
    const rssMB = Math.round(parts.reduce((sum, r) => sum + r.rssKB, 0) / 1024)
    const before = readings.get(pid)
    const seconds = before ? (now - before.at) / 1000 : 0
    const cpuPercent = before && seconds > 0 ? Math.max(0, Math.round(((ticks - before.ticks) / TICKS_PER_SECOND / seconds) * 1000) / 10) : undefined
    readings.set(pid, { ticks, at: now, cpuPercent, rssMB })
  }
}

/** The last reading of a process: CPU % (after two readings) and resident MB. */
export function usageOf(pid: number | undefined): { cpuPercent?: number; rssMB?: number } {
  const r = pid === undefined ? undefined : readings.get(pid)
  return r ? { ...(r.cpuPercent !== undefined ? { cpuPercent: r.cpuPercent } : {}), rssMB: r.rssMB } : {}
}
