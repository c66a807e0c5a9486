import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { hostPlatform } from '../platform/platform.js'

/**
 * Which processes belong to Aerie, found again after the fact. Every process Aerie starts gets
 * AERIE_SUPERVISED=<owner>/<process id>/<launch nonce> in its environment; the variable is
 * inherited by everything it starts, including children that leave its process group with
 * setsid() and children re-parented to init when their parent died. On Linux, /proc/<pid>/environ
 * of a process of the same user tells it, so a stop (or the next engine after a kill -9) finds the
 * whole tree. A process started with a wiped environment (`env -i`) escapes; that is the limit.
 * Where there is no /proc (macOS, Windows) the scan finds nothing, and the tree is what
 * platform/platform.ts reaches: the process group on macOS, taskkill /T on Windows.
 */
export const SUPERVISED_ENV = 'AERIE_SUPERVISED'

/** The owner part of the tag: one per data directory, so that two data directories never touch each other's processes. */
export function ownerTag(dataDir: string): string {
  return `aerie-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`
}

/** A fresh tag for one launch of one supervised process. */
export function launchTag(owner: string, id: string): string {
  return `${owner}/${id}/${randomBytes(4).toString('hex')}`
}

/** When the process started (platform/platform.ts): with the pid, an identity that reuse cannot fake. */
export function processStartTime(pid: number): string | undefined {
  return hostPlatform().processStartTime(pid)
}

/** The AERIE_SUPERVISED value of a live process, where /proc tells. */
export function tagOf(pid: number): string | undefined {
  let raw: string
  try {
    raw = fs.readFileSync(`/proc/${pid}/environ`, 'latin1')
  } catch {
    return undefined
  }
  const key = `${SUPERVISED_ENV}=`
  return raw
    .split('\0')
    .find((entry) => entry.startsWith(key))
    ?.slice(key.length)
}

/** Live processes (not this one) whose tag is `tag` or starts with `prefix/`. */
export function taggedProcesses(match: { tag?: string; prefix?: string }): number[] {
  let names: string[]
  try {
    names = fs.readdirSync('/proc')
  } catch {
    return []
  }
  const found: number[] = []
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    if (pid === process.pid) continue
    const tag = tagOf(pid)
    if (tag === undefined) continue
    if (tag === match.tag || (match.prefix !== undefined && tag.startsWith(`${match.prefix}/`))) found.push(pid)
  }
  return found
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** SIGTERM, then SIGKILL to what is left after `graceMs`; a zero grace kills at once. */
export async function terminate(pids: number[], graceMs: number, signalTarget: (pid: number) => number[] = (pid) => [pid]): Promise<void> {
  const send = (signal: NodeJS.Signals) => {
    for (const pid of pids)
      for (const target of signalTarget(pid)) {
        try {
          process.kill(target, signal)
        } catch {
          // already gone
        }
      }
  }
  if (graceMs > 0) {
    send('SIGTERM')
    const deadline = Date.now() + graceMs
    while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  }
  send('SIGKILL')
}
