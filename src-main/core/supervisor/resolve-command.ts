import fs from 'node:fs'
import path from 'node:path'

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
 * The executable a command names: a path as given, or the first match on PATH.
 * Checked before spawning because a pty reports a missing program only as "exit code 1".
 */
export function resolveCommand(command: string, env: Record<string, string | undefined>, cwd: string): string {
  if (command.includes('/') || command.includes('\\')) {
    const file = path.resolve(cwd, command)
    if (isExecutable(file)) return file
    throw new Error(`program ${file} does not exist or is not executable; check the app server's command`)
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, command)
    if (isExecutable(file)) return file
  }
  throw new Error(`program "${command}" was not found on PATH; install it or set the app server's command to its full path`)
}
