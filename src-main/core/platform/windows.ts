import { trustStores } from '../certs/trust.js'
import type { Platform, RunSync } from './platform.js'
import { whichCommand } from './command-lookup.js'

/**
 * Windows has no process groups to signal: taskkill /T walks the tree from the pid. Without /F
 * it asks (WM_CLOSE, which console programs may ignore); with /F it ends them.
 */
export const taskkillCommand = (pid: number, force: boolean) => ['taskkill', '/PID', String(pid), '/T', ...(force ? ['/F'] : [])]

/** The pid listening on a port in `netstat -ano -p TCP` output (both address families are listed with -p TCP and -p TCPv6). */
export function parseNetstatListener(output: string, port: number): number | undefined {
  for (const line of output.split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/)
    // Proto  Local Address  Foreign Address  State  PID
    if (cols.length !== 5 || !/^TCP/i.test(cols[0]) || cols[3] !== 'LISTENING') continue
    if (cols[1].endsWith(`:${port}`)) return Number(cols[4])
  }
  return undefined
}

/** The image name in `tasklist /FI "PID eq N" /FO CSV /NH`: "nginx.exe","1234","Console","1","7,952 K". */
export function parseTasklistName(output: string): string | undefined {
  const match = /^"([^"]+)","\d+"/m.exec(output)
  return match?.[1]
}

export const netstatCommand = (v6: boolean) => ['netstat', '-ano', '-p', v6 ? 'TCPv6' : 'TCP']
export const tasklistCommand = (pid: number) => ['tasklist', '/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH']

export function windowsPlatform(run: RunSync): Platform {
  return {
    name: 'windows',
    killTree: (pid, signal) => {
      run(taskkillCommand(pid, signal === 'SIGKILL'))
    },
    findCommand: (command, env, cwd) => whichCommand(command, env, cwd, ';'),
    portOwner: (port) => {
      let pid: number | undefined
      for (const v6 of [false, true]) {
        const { status, stdout } = run(netstatCommand(v6))
        if (status === 0) pid = parseNetstatListener(stdout, port)
        if (pid !== undefined) break
      }
      if (pid === undefined) return undefined
      const { status, stdout } = run(tasklistCommand(pid))
      const name = status === 0 ? parseTasklistName(stdout) : undefined
      return name ? `pid ${pid} (${name})` : `pid ${pid}`
    },
    // Only PowerShell or WMI tell, at a cost (hundreds of ms) the spawn path cannot pay: unknown, so a crashed run's processes are not reaped.
    processStartTime: () => undefined,
    trustStores: (options) => trustStores({ ...options, platform: 'win32' }),
  }
}
