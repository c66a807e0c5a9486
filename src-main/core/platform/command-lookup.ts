import path from 'node:path'
import whichModule from 'which'

/** PATH lookup with the `which` package: PATHEXT and Windows' delimiter where the OS is Windows. */
export function whichCommand(command: string, env: Record<string, string | undefined>, cwd: string, delimiter: string): string | undefined {
  if (/[\\/]/.test(command)) return whichModule.sync(path.resolve(cwd, command), { nothrow: true, pathExt: pathExtOf(env), delimiter }) ?? undefined
  return whichModule.sync(command, { path: pathOf(env), pathExt: pathExtOf(env), delimiter, nothrow: true }) ?? undefined
}

/** Windows spells it Path, and environment names there are case-insensitive. */
function variable(env: Record<string, string | undefined>, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toUpperCase() === name)
  return key === undefined ? undefined : env[key]
}
/** The PATH of an environment, however the OS spells its name. */
export const pathOf = (env: Record<string, string | undefined>) => variable(env, 'PATH') ?? ''
const pathExtOf = (env: Record<string, string | undefined>) => variable(env, 'PATHEXT')
