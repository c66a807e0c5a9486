import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { pathOf } from '../../platform/command-lookup.js'
import { hostPlatform } from '../../platform/platform.js'
import { isExecutable } from '../../supervisor/resolve-command.js'

const run = promisify(execFile)
/** Asking a binary for its version must not hang a stack start. */
const VERSION_TIMEOUT_MS = 5_000

/** The first of `names` on PATH or in `dirs` (common install locations), or the explicit `override`; PATHEXT applies on Windows. */
export function findBinary(names: string[], dirs: string[], override?: string): string | undefined {
  if (override) return isExecutable(override) ? override : undefined
  const env = { PATH: [pathOf(process.env), ...dirs].filter(Boolean).join(path.delimiter), PATHEXT: process.env.PATHEXT }
  for (const name of names) {
    const found = hostPlatform().findCommand(name, env, process.cwd())
    if (found) return found
  }
  return undefined
}

/** The version a binary prints (stdout or stderr) for `args`, matched by `pattern`. */
export async function binaryVersion(binary: string, args: string[], pattern: RegExp): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(binary, args, { timeout: VERSION_TIMEOUT_MS })
    return pattern.exec(`${stdout}\n${stderr}`)?.[1]
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    return pattern.exec(`${e.stdout ?? ''}\n${e.stderr ?? ''}`)?.[1]
  }
}

/** How to install a proxy on this OS, for the message shown when it is missing. */
export function installHint(pkg: { apt: string; brew: string; winget?: string }): string {
  if (process.platform === 'darwin') return `brew install ${pkg.brew}`
  if (process.platform === 'win32') return pkg.winget ? `winget install ${pkg.winget}` : `install ${pkg.brew} and set its path in Settings`
  return `sudo apt install ${pkg.apt} (Debian/Ubuntu), or your distribution's package`
}
