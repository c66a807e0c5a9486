// Each platform's supervisor duties on this (Linux) machine: the Linux ones for real; macOS's
// lsof lookup for real too (lsof runs here with the same flags and output format); Windows' command
// lines checked against a recorder, its parsers against output in the documented formats, and its
// PATHEXT lookup by loading the `which` package as it loads on Windows.
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { parseLsofOwner } from '../../../src-main/core/platform/macos.js'
import { platformFor, runSync, type RunSync } from '../../../src-main/core/platform/platform.js'
import { parseNetstatListener, parseTasklistName } from '../../../src-main/core/platform/windows.js'
import { resolveCommand } from '../../../src-main/core/supervisor/resolve-command.js'

const cleanups: (() => void)[] = []
afterEach(() => cleanups.splice(0).forEach((c) => c()))

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aerie-platform-'))
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Alive and not a zombie (an orphan waits for this container's init to reap it). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

async function listener(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => server.close())
  return (server.address() as net.AddressInfo).port
}

async function freePort(): Promise<number> {
  const port = await listener()
  cleanups.pop()!()
  return port
}

/** A RunSync that records each command line and answers from a table of recorded outputs. */
function recorder(answers: Record<string, { status: number; stdout: string }>): { run: RunSync; calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    run: (argv) => {
      const line = argv.join(' ')
      calls.push(line)
      return answers[line] ?? { status: 1, stdout: '' }
    },
  }
}

describe('Linux', () => {
  const linux = platformFor('linux')

  it('kills the whole tree of a process group, children included', async () => {
    const leader = spawn('sh', ['-c', 'sleep 60 & a=$!; sleep 60 & echo $a $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
    const children = await new Promise<number[]>((resolve) => leader.stdout!.once('data', (d) => resolve(String(d).trim().split(/\s+/).map(Number))))
    expect(children).toHaveLength(2)
    expect([leader.pid!, ...children].every(running)).toBe(true)
    linux.killTree(leader.pid!, 'SIGKILL')
    await new Promise((r) => leader.once('exit', r))
    for (let i = 0; i < 50 && children.some(running); i++) await new Promise((r) => setTimeout(r, 20))
    expect(children.filter(running)).toEqual([])
    expect(() => linux.killTree(leader.pid!, 'SIGKILL')).not.toThrow() // gone: no error
  })

  it('finds programs on PATH and relative to the working directory, and names what it cannot find', () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'app.sh'), '#!/bin/sh\n', { mode: 0o755 })
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a program', { mode: 0o644 })
    expect(linux.findCommand('sh', { PATH: `/nonexistent:${path.dirname(fs.realpathSync('/bin/sh'))}` }, dir)).toMatch(/\/sh$/)
    expect(linux.findCommand('./app.sh', {}, dir)).toBe(path.join(dir, 'app.sh'))
    expect(linux.findCommand('app.sh', { PATH: dir }, '/')).toBe(path.join(dir, 'app.sh'))
    expect(linux.findCommand('notes.txt', { PATH: dir }, dir)).toBeUndefined()
    expect(() => resolveCommand('no-such-program-xyz', { PATH: dir }, dir, linux)).toThrow('program "no-such-program-xyz" was not found on PATH')
    expect(() => resolveCommand('./notes.txt', {}, dir, linux)).toThrow(`program ${path.join(dir, 'notes.txt')} does not exist or is not executable`)
  })

  it('names the process that holds a port, from /proc', async () => {
    const port = await listener()
    expect(linux.portOwner(port)).toMatch(new RegExp(`^pid ${process.pid}\\b`))
    expect(linux.portOwner(await freePort())).toBeUndefined()
  })

  it('tells when a process started, from /proc, and nothing for a pid that is gone', async () => {
    const ticks = linux.processStartTime(process.pid)
    expect(ticks).toMatch(/^\d+$/)
    const child = spawn('sleep', ['60'], { stdio: 'ignore' })
    await new Promise((r) => child.once('spawn', r))
    expect(Number(linux.processStartTime(child.pid!))).toBeGreaterThan(Number(ticks))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    expect(linux.processStartTime(child.pid!)).toBeUndefined()
  })
})

describe('macOS', () => {
  it('asks lsof who listens on a port (run for real here) and parses its -F output', async () => {
    const { run, calls } = (() => {
      const calls: string[] = []
      return { calls, run: ((argv) => (calls.push(argv.join(' ')), runSync(argv))) as RunSync }
    })()
    const macos = platformFor('darwin', run)
    const port = await listener()
    expect(macos.portOwner(port)).toBe(`pid ${process.pid} (node)`)
    expect(calls).toEqual([`lsof -nP -iTCP:${port} -sTCP:LISTEN -Fpc`])
    expect(macos.portOwner(await freePort())).toBeUndefined()
    expect(parseLsofOwner('p812\ncnginx\np813\ncnginx\n')).toBe('pid 812 (nginx)')
    expect(parseLsofOwner('p812\n')).toBe('pid 812')
    expect(parseLsofOwner('')).toBeUndefined()
  })

  it('tells when a process started with ps -o lstart (run for real here), and nothing for a pid that is gone', async () => {
    const macos = platformFor('darwin')
    expect(macos.processStartTime(process.pid)).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d\d:\d\d:\d\d \d{4}$/)
    const child = spawn('sleep', ['60'], { stdio: 'ignore' })
    await new Promise((r) => child.once('spawn', r))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    expect(macos.processStartTime(child.pid!)).toBeUndefined()
  })

  it('signals the process group, as on Linux', async () => {
    const leader = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' })
    await new Promise((r) => leader.once('spawn', r))
    platformFor('darwin').killTree(leader.pid!, 'SIGTERM')
    const exit = await new Promise<NodeJS.Signals | null>((r) => leader.once('exit', (_c, s) => r(s)))
    expect(exit).toBe('SIGTERM')
  })
})

describe('Windows', () => {
  const netstat = [
    '',
    'Active Connections',
    '',
    '  Proto  Local Address          Foreign Address        State           PID',
    '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1032',
    '  TCP    127.0.0.1:5000         127.0.0.1:52144        ESTABLISHED     7420',
    '  TCP    127.0.0.1:8080         0.0.0.0:0              LISTENING       5232',
    '  TCP    127.0.0.1:18080        0.0.0.0:0              LISTENING       6100',
    '',
  ].join('\r\n')
  const netstat6 = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    [::1]:5001             [::]:0                 LISTENING       7421\r\n'

  it('parses netstat -ano and tasklist output', () => {
    expect(parseNetstatListener(netstat, 8080)).toBe(5232)
    expect(parseNetstatListener(netstat, 5000)).toBeUndefined() // established, not listening
    expect(parseNetstatListener(netstat, 80)).toBeUndefined() // 18080 is not 80
    expect(parseNetstatListener(netstat6, 5001)).toBe(7421)
    expect(parseTasklistName('"nginx.exe","5232","Console","1","7,952 K"\r\n')).toBe('nginx.exe')
    expect(parseTasklistName('INFO: No tasks are running which match the specified criteria.\r\n')).toBeUndefined()
  })

  it('looks up the port owner with netstat, then tasklist, and tries IPv6 when IPv4 has none', () => {
    const { run, calls } = recorder({
      'netstat -ano -p TCP': { status: 0, stdout: netstat },
      'netstat -ano -p TCPv6': { status: 0, stdout: netstat6 },
      'tasklist /FI PID eq 5232 /FO CSV /NH': { status: 0, stdout: '"nginx.exe","5232","Console","1","7,952 K"\r\n' },
    })
    const windows = platformFor('win32', run)
    expect(windows.portOwner(8080)).toBe('pid 5232 (nginx.exe)')
    expect(calls).toEqual(['netstat -ano -p TCP', 'tasklist /FI PID eq 5232 /FO CSV /NH'])
    calls.length = 0
    expect(windows.portOwner(5001)).toBe('pid 7421')
    expect(calls).toEqual(['netstat -ano -p TCP', 'netstat -ano -p TCPv6', 'tasklist /FI PID eq 7421 /FO CSV /NH'])
    expect(windows.portOwner(9999)).toBeUndefined()
  })

  it('ends a tree with taskkill /T: asking first, /F to force', () => {
    const { run, calls } = recorder({})
    const windows = platformFor('win32', run)
    windows.killTree(4242, 'SIGTERM')
    windows.killTree(4242, 'SIGKILL')
    expect(calls).toEqual(['taskkill /PID 4242 /T', 'taskkill /PID 4242 /T /F'])
    expect(windows.processStartTime(4242)).toBeUndefined()
    expect(calls).toHaveLength(2) // no costly lookup on the spawn path
  })

  it('finds a program by PATHEXT on a ;-separated Path, with `which` loaded as on Windows', async () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'dotnet.exe'), '')
    fs.writeFileSync(path.join(dir, 'build.cmd'), '')
    fs.writeFileSync(path.join(dir, 'readme.txt'), '')
    const script = `
      // As on Windows: the platform, and the list separator that isexe splits PATHEXT with.
      Object.defineProperty(process, 'platform', { value: 'win32' })
      const { createRequire } = await import('node:module')
      createRequire(import.meta.url)('node:path').delimiter = ';'
      const { platformFor } = await import(${JSON.stringify(path.resolve('src-main/core/platform/platform.ts'))})
      const windows = platformFor('win32')
      const env = { Path: 'C:\\\\nowhere;' + ${JSON.stringify(dir)}, PATHEXT: '.COM;.EXE;.BAT;.CMD' }
      console.log(JSON.stringify([
        windows.findCommand('dotnet', env, ${JSON.stringify(dir)}),
        windows.findCommand('build', env, '/'),
        windows.findCommand('readme', env, '/'),
        windows.findCommand('dotnet', { ...env, PATHEXT: '.CMD' }, '/'),
      ]))`
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])
    expect(JSON.parse(stdout)).toEqual([path.join(dir, 'dotnet.exe'), path.join(dir, 'build.cmd'), null, null])
  })
})

describe('trust commands per OS', () => {
  const options = { caFile: '/data/ca/ca.crt', nickname: 'Aerie Local CA abc123', home: '/home/dev' }

  it('macOS: the login keychain, with security(1)', async () => {
    const [keychain, ...more] = await platformFor('darwin').trustStores(options)
    expect(more).toEqual([])
    expect(keychain.install).toEqual(['security', 'add-trusted-cert', '-r', 'trustRoot', '-k', '/home/dev/Library/Keychains/login.keychain-db', '/data/ca/ca.crt'])
    expect(keychain.check).toEqual(['security', 'verify-cert', '-c', '/data/ca/ca.crt'])
    expect(keychain.needsAdmin).toBe(false)
  })

  it('Windows: the current user Root store, with certutil -user (no administrator needed)', async () => {
    const [store, ...more] = await platformFor('win32').trustStores(options)
    expect(more).toEqual([])
    expect(store.install).toEqual(['certutil', '-user', '-addstore', 'Root', '/data/ca/ca.crt'])
    expect(store.uninstall).toEqual(['certutil', '-user', '-delstore', 'Root', 'Aerie Local CA abc123'])
    expect(store.needsAdmin).toBe(false)
  })

  it('Linux: the NSS database per user, and the system store (root only)', async () => {
    const stores = await platformFor('linux').trustStores(options)
    expect(stores.map((s) => [s.install[0], s.needsAdmin])).toEqual([['certutil', false], ['sh', true]])
    expect(stores[0].install).toContain('sql:/home/dev/.pki/nssdb')
    expect(stores[1].install[2]).toBe("cp /data/ca/ca.crt /usr/local/share/ca-certificates/aerie-local-ca-abc123.crt && update-ca-certificates")
  })
})
