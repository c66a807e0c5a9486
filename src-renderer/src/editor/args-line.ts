import { parse } from 'shell-quote'

/** Characters an argument may hold and still be written bare on a command line. */
const BARE = /^[A-Za-z0-9_@%+=:,./{}-]+$/

/**
 * The arguments as one line a user can read and edit: bare where safe, else in single quotes
 * (a quote inside as '\''). `splitArgs(joinArgs(a))` gives `a` back exactly, for any strings.
 */
export function joinArgs(args: readonly string[]): string {
  return args.map((a) => (BARE.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ')
}

/**
 * A typed or pasted command line as arguments, split the way a POSIX shell splits it (quotes and
 * backslashes), but without expanding anything: `$PORT` stays `$PORT`, `a|b` gives `a`, `|`, `b`.
 */
export function splitArgs(line: string): string[] {
  return parse(line, (name) => `$${name}`).map((part) => {
    if (typeof part === 'string') return part
    if ('comment' in part) return `#${part.comment}`
    return part.op === 'glob' ? (part as { pattern: string }).pattern : part.op
  })
}
