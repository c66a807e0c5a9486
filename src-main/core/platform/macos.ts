import { trustStores } from '../certs/trust.js'
import type { Platform, RunSync } from './platform.js'
import { whichCommand } from './command-lookup.js'
import { killProcessGroup } from './posix.js'

/** `lsof -F pc` prints one field per line: p<pid>, then c<command> for that process. */
export function parseLsofOwner(output: string): string | undefined {
  let pid: string | undefined
  for (const line of output.split('\n')) {
    if (line.startsWith('p')) pid = line.slice(1)
    else if (line.startsWith('c') && pid) return `pid ${pid} (${line.slice(1)})`
  }
  return pid ? `pid ${pid}` : undefined
}

/** `ps -o lstart=` prints the start time to the second ("Wed Dec  2 15:23:54 2026"); exit 1 for no such process. */
export const psStartCommand = (pid: number) => ['ps', '-o', 'lstart=', '-p', String(pid)]

export const lsofCommand = (port: number) => ['lsof', '-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']

/** macOS: process groups like Linux; no /proc, so the port owner comes from lsof and start times from ps (both ship with macOS). */
export function macosPlatform(run: RunSync): Platform {
  return {
    name: 'macos',
    killTree: killProcessGroup,
    findCommand: (command, env, cwd) => whichCommand(command, env, cwd, ':'),
    portOwner: (port) => {
      const { status, stdout } = run(lsofCommand(port))
      return status === 0 ? parseLsofOwner(stdout) : undefined
    },
    processStartTime: (pid) => {
      const { status, stdout } = run(psStartCommand(pid))
      return status === 0 && stdout.trim() ? stdout.trim().replace(/\s+/g, ' ') : undefined
    },
    trustStores: (options) => trustStores({ ...options, platform: 'darwin' }),
  }
}
