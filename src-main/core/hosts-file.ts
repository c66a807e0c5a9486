import dns from 'node:dns/promises'
import fs from 'node:fs/promises'
import os from 'node:os'
import { writeFileAtomic } from './atomic-file.js'

/** The system's hosts file; AERIE_HOSTS_FILE names another (tests, or a container's). */
export function hostsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AERIE_HOSTS_FILE) return env.AERIE_HOSTS_FILE
  return os.platform() === 'win32' ? `${env.SystemRoot ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts` : '/etc/hosts'
}

const START = '# aerie:start (written by `aerie hosts apply`; `aerie hosts remove` takes it out)'
const END = '# aerie:end'
/** How long the resolver may take for one name before it counts as not resolving. */
const LOOKUP_TIMEOUT_MS = 2_000

/** The names, each on loopback for IPv4 and IPv6, between Aerie's markers. */
function block(names: string[]): string {
  return [START, ...[...new Set(names)].sort().map((n) => `127.0.0.1 ${n}\n::1 ${n}`), END].join('\n')
}

/** The file's text without Aerie's block (and without the blank line it leaves). */
function withoutBlock(text: string): string {
  const at = text.indexOf(START)
  if (at === -1) return text
  const end = text.indexOf(END, at)
  const after = end === -1 ? text.length : end + END.length
  return (text.slice(0, at).replace(/\n+$/, '\n') + text.slice(after).replace(/^\n+/, '')).replace(/^\n$/, '')
}

/** What `aerie hosts apply` would make of the file: its text with Aerie's block for `names` at the end. */
export function hostsWithNames(text: string, names: string[]): string {
  const rest = withoutBlock(text)
  if (!names.length) return rest
  return `${rest}${rest && !rest.endsWith('\n') ? '\n' : ''}${block(names)}\n`
}

/** Aerie's names in the hosts file now. */
export function namesInHosts(text: string): string[] {
  const at = text.indexOf(START)
  if (at === -1) return []
  const end = text.indexOf(END, at)
  return [...new Set(text.slice(at, end === -1 ? undefined : end).split('\n').flatMap((l) => (/^(127\.0\.0\.1|::1)\s+(\S+)/.exec(l) ? [l.split(/\s+/)[1]] : [])))]
}

/**
 * Writes (or, with no names, removes) Aerie's block in the hosts file; nothing else in it changes.
 * Without the right to write it, says the exact command that would.
 */
export async function writeHostsBlock(names: string[], file = hostsFilePath()): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return ''
    throw err
  })
  const next = hostsWithNames(text, names)
  if (next === text) return names.length ? `${file} already maps ${names.join(', ')} to this machine` : `${file} holds no block of Aerie's`
  try {
    // The hosts file keeps its mode (world-readable): the resolver of every program reads it.
    await writeFileAtomic(file, next, 0o644).catch(async (err: NodeJS.ErrnoException) => {
      // A container's /etc/hosts is a mount point: it cannot be replaced, only written in place.
      if (err.code !== 'EBUSY' && err.code !== 'EXDEV') throw err
      await fs.writeFile(file, next)
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EACCES' && code !== 'EPERM') throw err
    const again = os.platform() === 'win32' ? 'run the same command in an Administrator terminal' : `run: sudo ${process.argv0 === 'node' ? 'npx aerie' : 'aerie'} hosts ${names.length ? 'apply' : 'remove'}`
    throw new Error(`cannot write ${file} (${code}): ${again}`)
  }
  return names.length ? `${file} now maps ${names.join(', ')} to 127.0.0.1 and ::1` : `removed Aerie's block from ${file}`
}

/** The names of the stacks that the hosts file should map: every host name but `localhost` itself. */
export function stackNames(hostnames: string[]): string[] {
  return [...new Set(hostnames.filter((h) => h !== 'localhost'))].sort()
}

/** The names the system's resolver (what the app and tools use, unlike browsers for *.localhost) does not find. */
export async function unresolvedNames(names: string[]): Promise<string[]> {
  const missing: string[] = []
  for (const name of names) {
    const found = await Promise.race([
      dns.lookup(name).then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), LOOKUP_TIMEOUT_MS).unref()),
    ])
    if (!found) missing.push(name)
  }
  return missing
}

/** What to tell the user about host names the system's resolver does not find, or undefined when all resolve. */
export async function unresolvedNamesWarning(names: string[]): Promise<string | undefined> {
  const missing = await unresolvedNames(names)
  if (!missing.length) return undefined
  return `${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not resolve on this machine (browsers resolve *.localhost themselves; the app and other tools do not): \`aerie hosts apply\` maps the stacks' names to 127.0.0.1 in ${hostsFilePath()}`
}
