import fs from 'node:fs'
import { describeLinuxPortOwner } from './linux-port-owner.js'
import { trustStores } from '../certs/trust.js'
import type { Platform } from './platform.js'
import { whichCommand } from './command-lookup.js'
import { killProcessGroup } from './posix.js'

/** Linux: process groups for a tree (plus the /proc environment scan in supervisor/process-tree.ts), /proc for ports and start times. */
export function linuxPlatform(): Platform {
  return {
    name: 'linux',
    killTree: killProcessGroup,
    findCommand: (command, env, cwd) => whichCommand(command, env, cwd, ':'),
    portOwner: describeLinuxPortOwner,
    processStartTime: linuxStartTime,
    trustStores: (options) => trustStores({ ...options, platform: 'linux' }),
  }
}

/** Start time in clock ticks since boot: field 22 of /proc/<pid>/stat. */
function linuxStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}
