/**
 * Whether to colour a stream, as command-line tools agree: --color/--no-color first, then NO_COLOR
 * (any value turns colours off), then FORCE_COLOR (on, unless 0 or false), else only a terminal
 * that is not dumb. Each stream is decided on its own: stderr may be a terminal when stdout is piped.
 */
export function wantsColor(stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR.toLowerCase())
  return stream.isTTY === true && env.TERM !== 'dumb'
}
