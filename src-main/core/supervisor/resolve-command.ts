import fs from 'node:fs'
import path from 'node:path'
import { CodedError } from '../error-codes.js'
import { hostPlatform, type Platform } from '../platform/platform.js'

/** True for a regular file the current user may execute. */
export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/**
 * The executable a command names: a path as given, or the first match on PATH (with PATHEXT on
 * Windows). Checked before spawning because a pty reports a missing program only as "exit code 1".
 */
export function resolveCommand(command: string, env: Record<string, string | undefined>, cwd: string, platform: Platform = hostPlatform()): string {
  const found = platform.findCommand(command, env, cwd)
  if (found) return found
  if (/[\\/]/.test(command)) throw new CodedError('unavailable', `program ${path.resolve(cwd, command)} does not exist or is not executable; check the app server's command`)
  throw new CodedError('unavailable', `program "${command}" was not found on PATH; install it or set the app server's command to its full path`)
}
