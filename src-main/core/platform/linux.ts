import { describeLinuxPortOwner } from './linux-port-owner.js'
import type { Platform } from './platform.js'
import { whichCommand } from './command-lookup.js'
import { killProcessGroup } from './posix.js'

/** Linux: process groups for a tree (plus the /proc environment scan in supervisor/process-tree.ts), /proc for ports. */
export function linuxPlatform(): Platform {
  return {
    name: 'linux',
    killTree: killProcessGroup,
    findCommand: (command, env, cwd) => whichCommand(command, env, cwd, ':'),
    portOwner: describeLinuxPortOwner,
  }
}
