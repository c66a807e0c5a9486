import { spawnSync } from 'node:child_process'
import type { TrustStore } from '../certs/trust.js'
import { linuxPlatform } from './linux.js'
import { macosPlatform } from './macos.js'
import { windowsPlatform } from './windows.js'

/**
 * Everything the supervisor asks of the operating system, behind one interface: signalling a
 * process tree, finding a program, naming who holds a port, telling a process from a later one
 * with the same pid, trusting the local CA. One implementation per OS family;
 * the engine uses `hostPlatform()`, tests build the others with `platformFor` and a recorded
 * `RunSync`. What was verified where is in the README ("Platforms").
 */
export interface Platform {
  readonly name: 'linux' | 'macos' | 'windows'
  /** A supervised process and everything it started: SIGTERM asks, SIGKILL ends. Never throws. */
  killTree(pid: number, signal: 'SIGTERM' | 'SIGKILL'): void
  /** The file a command runs (PATH and, on Windows, PATHEXT), or undefined. A path with a separator is taken relative to `cwd`. */
  findCommand(command: string, env: Record<string, string | undefined>, cwd: string): string | undefined
  /** "pid 1234 (nginx)" for the process listening on a TCP port, where the OS tells; undefined otherwise. */
  portOwner(port: number): string | undefined
  /** When a live process started, in the OS's own notation: with the pid, an identity that pid reuse cannot fake. Undefined where unknown. */
  processStartTime(pid: number): string | undefined
  /** Where to trust the local CA on this OS (keychain, Root store, NSS and the system store), with the exact commands. */
  trustStores(options: { caFile: string; nickname: string; home: string }): Promise<TrustStore[]>
}

/** Runs a program to completion: its exit status (null when it could not run or timed out) and its stdout. */
export type RunSync = (argv: string[]) => { status: number | null; stdout: string }

/** A lookup that never hangs the engine: two seconds at most, output as text. */
export const runSync: RunSync = (argv) => {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 2_000, windowsHide: true })
  return { status: result.error ? null : result.status, stdout: result.stdout ?? '' }
}

export function platformFor(os: NodeJS.Platform, run: RunSync = runSync): Platform {
  if (os === 'win32') return windowsPlatform(run)
  if (os === 'darwin') return macosPlatform(run)
  return linuxPlatform()
}

let host: Platform | undefined
export function hostPlatform(): Platform {
  return (host ??= platformFor(process.platform))
}
