import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
/** A trust command that hangs (a keychain prompt nobody answers) is abandoned after this. */
const TRUST_COMMAND_TIMEOUT_MS = 30_000

export interface TrustStore {
  /** "Chrome/Chromium (NSS, ~/.pki/nssdb)", "System (update-ca-certificates)", … */
  name: string
  install: string[]
  uninstall: string[]
  /** A command whose exit code 0 means "our CA is trusted here"; absent where Aerie cannot check. */
  check?: string[]
  /** Needs root/administrator: Aerie shows the command instead of running it. */
  needsAdmin: boolean
}

export interface TrustState {
  name: string
  trusted: boolean | 'unknown'
  install: string
  uninstall: string
  needsAdmin: boolean
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)
export const commandLine = (argv: string[]) => argv.map(quote).join(' ')

async function nssDatabases(home: string): Promise<{ name: string; dir: string }[]> {
  const dbs = [{ name: 'Chrome/Chromium (NSS, ~/.pki/nssdb)', dir: path.join(home, '.pki', 'nssdb') }]
  const firefox = path.join(home, '.mozilla', 'firefox')
  for (const profile of await fs.readdir(firefox).catch(() => [] as string[])) {
    if (await fs.stat(path.join(firefox, profile, 'cert9.db')).catch(() => undefined)) dbs.push({ name: `Firefox profile ${profile}`, dir: path.join(firefox, profile) })
  }
  return dbs
}

/** The stores to trust the CA in on this OS, with the exact commands. `nickname` is unique per CA. */
export async function trustStores(options: { platform: NodeJS.Platform; caFile: string; nickname: string; home: string }): Promise<TrustStore[]> {
  const { platform, caFile, nickname, home } = options
  if (platform === 'darwin') {
    return [
      {
        name: 'macOS login keychain',
        install: ['security', 'add-trusted-cert', '-r', 'trustRoot', '-k', path.join(home, 'Library', 'Keychains', 'login.keychain-db'), caFile],
        uninstall: ['security', 'remove-trusted-cert', caFile],
        check: ['security', 'verify-cert', '-c', caFile],
        needsAdmin: false,
      },
    ]
  }
  if (platform === 'win32') {
    return [{ name: 'Windows user Root store', install: ['certutil', '-user', '-addstore', 'Root', caFile], uninstall: ['certutil', '-user', '-delstore', 'Root', nickname], needsAdmin: false }]
  }
  const systemFile = `/usr/local/share/ca-certificates/${nickname.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.crt`
  const stores: TrustStore[] = (await nssDatabases(home)).map(({ name, dir }) => ({
    name,
    install: ['certutil', '-d', `sql:${dir}`, '-A', '-t', 'C,,', '-n', nickname, '-i', caFile],
    uninstall: ['certutil', '-d', `sql:${dir}`, '-D', '-n', nickname],
    check: ['certutil', '-d', `sql:${dir}`, '-L', '-n', nickname],
    needsAdmin: false,
  }))
  stores.push({
    name: 'System (update-ca-certificates: curl, OpenSSL, .NET)',
    install: ['sh', '-c', `cp ${quote(caFile)} ${systemFile} && update-ca-certificates`],
    uninstall: ['sh', '-c', `rm -f ${systemFile} && update-ca-certificates --fresh`],
    check: ['sh', '-c', `cmp -s ${quote(caFile)} ${systemFile}`],
    needsAdmin: true,
  })
  return stores
}

export async function trustStates(stores: TrustStore[]): Promise<TrustState[]> {
  return Promise.all(
    stores.map(async (s) => {
      let trusted: boolean | 'unknown' = 'unknown'
      if (s.check) {
        try {
          await run(s.check[0], s.check.slice(1), { timeout: TRUST_COMMAND_TIMEOUT_MS })
          trusted = true
        } catch (err) {
          trusted = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'unknown' : false
        }
      }
      return { name: s.name, trusted, install: commandLine(s.install), uninstall: commandLine(s.uninstall), needsAdmin: s.needsAdmin }
    }),
  )
}

const isAdmin = () => typeof process.getuid === 'function' && process.getuid() === 0

/**
 * Runs the install or uninstall command of every per-user store. A system-wide store is
 * changed only when asked for explicitly (`includeSystem`) and Aerie runs as root;
 * otherwise the result gives the command to run.
 */
export async function applyTrust(stores: TrustStore[], action: 'install' | 'uninstall', includeSystem = false): Promise<{ name: string; ok: boolean; message: string }[]> {
  const results = []
  for (const s of stores) {
    const argv = s[action]
    if (s.needsAdmin && !(includeSystem && isAdmin())) {
      results.push({ name: s.name, ok: false, message: `system-wide: run \`${isAdmin() ? '' : 'sudo '}${commandLine(argv)}\`` })
      continue
    }
    try {
      if (action === 'install' && argv[0] === 'certutil' && argv[2]?.startsWith('sql:')) await ensureNssDb(argv[2])
      await run(argv[0], argv.slice(1), { timeout: TRUST_COMMAND_TIMEOUT_MS })
      results.push({ name: s.name, ok: true, message: action === 'install' ? 'trusted' : 'removed' })
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string }
      const message = e.code === 'ENOENT' ? `${argv[0]} is not installed (on Debian/Ubuntu: apt install libnss3-tools)` : (e.stderr || e.message).trim()
      results.push({ name: s.name, ok: false, message })
    }
  }
  return results
}

/** A new NSS database (no password) where none exists yet, as Chrome would create on first run. */
async function ensureNssDb(spec: string): Promise<void> {
  const dir = spec.slice('sql:'.length)
  await fs.mkdir(dir, { recursive: true })
  if (await fs.stat(path.join(dir, 'cert9.db')).catch(() => undefined)) return
  await run('certutil', ['-d', spec, '-N', '--empty-password'], { timeout: TRUST_COMMAND_TIMEOUT_MS })
}
