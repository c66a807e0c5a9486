import { spawn, execFile, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { EngineBusyError, lockFile, readEngineLock, type ReachableEngineLock } from '../../src-main/core/engine-lock.js'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort, isPortFree } from '../../src-main/core/supervisor/ports.js'
import { RemoteEngine } from '../../src-main/cli/remote-engine.js'
import { get } from '../support/http-client.js'
import { isAlive, waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'

const bin = path.resolve('bin/aerie.js')
const run = promisify(execFile)

function aerie(args: string[], env: NodeJS.ProcessEnv) {
  return run(process.execPath, [bin, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' } })
}

function startLongRunning(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' } })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

const cleanups: (() => void)[] = []
afterEach(() => cleanups.splice(0).forEach((c) => c()))

async function setup() {
  const home = tempHome()
  const demoPort = await findFreePort()
  const env = { AERIE_HOME: home.dir, AERIE_DEMO_PORT: String(demoPort) }
  cleanups.push(home.cleanup)
  return { home, demoPort, env }
}

describe('aerie CLI', () => {
  it('list, status and logs with no engine running create nothing, start no engine and reap nothing', async () => {
    const { home, env } = await setup()
    const fresh = path.join(home.dir, 'never-created')
    const untouched = { ...env, AERIE_HOME: fresh }
    expect((await aerie(['list'], untouched)).stdout).toContain('No stacks yet.')
    expect((await aerie(['status'], untouched)).stdout).toContain('no Aerie engine is running')
    expect((await aerie(['logs'], untouched)).stdout).toBe('')
    await expect(aerie(['stop', 'demo'], untouched)).rejects.toMatchObject({ code: 4, stderr: expect.stringContaining('no stack "demo"') })
    expect(fs.existsSync(fresh)).toBe(false)

    // A data directory with a recorded survivor: read-only commands leave it running and the files as they were.
    const survivor = spawn('sleep', ['30'])
    cleanups.push(() => survivor.kill('SIGKILL'))
    fs.mkdirSync(path.join(home.dir, 'run'), { recursive: true })
    fs.writeFileSync(path.join(home.dir, 'run', 'processes.json'), JSON.stringify([{ id: 'x/app#1', pid: survivor.pid, command: 'sleep', args: ['30'] }]))
    const before = fs.readdirSync(home.dir, { recursive: true }).sort()
    await aerie(['list'], env)
    await aerie(['status'], env)
    await aerie(['logs'], env)
    expect(fs.readdirSync(home.dir, { recursive: true }).sort()).toEqual(before)
    expect(isAlive(survivor.pid!)).toBe(true)
  })

  it('lists the demo stack and exits 0; an unknown command exits 2 with usage', async () => {
    const { env } = await setup()
    await aerie(['export', 'demo', '--to', 'nginx'], env) // the first engine run offers the demo stack
    const { stdout } = await aerie(['list'], env)
    expect(stdout).toMatch(/demo\s+Demo\s+stopped/)
    await expect(aerie(['frobnicate'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') })
    await expect(aerie(['start', 'nope'], env)).rejects.toMatchObject({ code: 4, stderr: expect.stringContaining('no stack "nope"') })
    await expect(aerie(['logs', 'nope'], env)).rejects.toMatchObject({ code: 4, stderr: expect.stringContaining('no stack "nope"') })
  })

  it('export takes the production base port, app folder and listen address, says where certificates come from, and names a bad port', async () => {
    const { env } = await setup()
    const { stdout, stderr } = await aerie(['export', 'demo', '--to', 'nginx', '--base-port', '7000', '--app-dir', '/srv/demo', '--listen', '10.0.0.5', '--https-port', '8443'], env)
    expect(stdout).toContain('server 127.0.0.1:7000 ')
    expect(stdout).toContain('server 127.0.0.1:7001 ')
    expect(stdout).toContain('listen 10.0.0.5:8443 ssl http2;')
    expect(stderr).toContain('the certificate paths are placeholders')
    await expect(aerie(['export', 'demo', '--to', 'nginx', '--base-port', 'x'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--base-port must be a number') })
    // A value the engine refuses is named by the flag the user typed, not the request's field.
    const bad = await aerie(['export', 'demo', '--to', 'nginx', '--server-name', 'ok.example,bad_name!'], env).catch((e: { code: number; stderr: string }) => e)
    expect(bad).toMatchObject({ code: 3, stderr: expect.stringContaining('aerie: --server-name: must be a host name') })
    expect((bad as { stderr: string }).stderr).not.toContain('params.')
    await expect(aerie(['export', 'demo', '--to', 'nginx', '--base-port', '80'], env)).rejects.toMatchObject({ code: 3, stderr: expect.stringContaining('--base-port: ') })
  })

  it('start runs the stack in the foreground, answers other commands, and SIGTERM leaves no process behind', async () => {
    const { home, demoPort, env } = await setup()
    const fg = startLongRunning(['start', 'demo'], env)
    cleanups.push(() => fg.child.kill('SIGKILL'))
    await waitFor(() => fg.output().includes('Press Ctrl-C to stop.'), 20_000, 'the foreground start')
    expect(fg.output()).toContain(`http://demo.localhost:${demoPort}/`)
    expect((await get(demoPort, '/', `demo.localhost:${demoPort}`)).status).toBe(200)

    const { stdout } = await aerie(['status', 'demo'], env)
    expect(stdout).toMatch(/Demo \(demo\): running/)
    const lock = (await readEngineLock(home.dir)) as ReachableEngineLock
    const pids = (await new RemoteEngine(lock).invoke('stack:get', { id: 'demo' })).processes.map((p) => p.pid!)
    expect(pids).toHaveLength(2)

    fg.child.kill('SIGTERM')
    expect(await fg.exited).toBe(0)
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    expect(await isPortFree(demoPort)).toBe(true)
    expect(fs.existsSync(lockFile(home.dir))).toBe(false)
    expect(fg.output()).toContain('stack demo stopped')
  })

  it('serve hosts the engine; start/stop go to it; SIGTERM stops every stack first', async () => {
    const { home, demoPort, env } = await setup()
    const server = startLongRunning(['serve', '--quiet'], env)
    cleanups.push(() => server.child.kill('SIGKILL'))
    await waitFor(() => server.output().includes('serving its UI at'), 20_000, 'aerie serve')
    expect(server.output()).toMatch(/http:\/\/127\.0\.0\.1:\d+\/\?token=\S{32}/)

    const started = await aerie(['start', 'demo'], env)
    expect(started.stdout).toMatch(/Demo \(demo\): running/)
    const lock = (await readEngineLock(home.dir)) as ReachableEngineLock
    expect(lock.face).toBe('serve')
    expect((fs.statSync(lockFile(home.dir)).mode & 0o777).toString(8)).toBe('600')
    const pids = (await new RemoteEngine(lock).invoke('stack:get', { id: 'demo' })).processes.map((p) => p.pid!)

    await expect(aerie(['serve'], env)).rejects.toMatchObject({ code: 5, stderr: expect.stringContaining('an Aerie engine already runs for') })
    // A second engine on the same data directory (what the desktop app would be at launch) is refused before it touches anything.
    const second = new Engine({ dataDir: home.dir, face: 'electron' })
    await expect(second.init()).rejects.toBeInstanceOf(EngineBusyError)
    expect(pids.every(isAlive)).toBe(true)
    expect((await readEngineLock(home.dir))?.pid).toBe(lock.pid)

    const tail = await aerie(['logs', 'demo'], env)
    expect(tail.stdout).toContain('web#1 | demo-app instance 1 listening')
    const follower = startLongRunning(['logs', 'demo', '-f'], env)
    await waitFor(() => follower.output().includes('listening'), 10_000, 'the tail before following')
    await get(demoPort, '/followed', `demo.localhost:${demoPort}`)
    await waitFor(() => follower.output().includes('/followed'), 10_000, 'the followed line')
    follower.child.kill('SIGINT')
    expect(await follower.exited).toBe(0)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    expect(await isPortFree(demoPort)).toBe(true)
    expect(fs.existsSync(lockFile(home.dir))).toBe(false)

    // With no engine, `aerie logs` reads the log files.
    const offline = await aerie(['logs', 'demo'], env)
    expect(offline.stdout).toMatch(/web-1 \| .*demo-app instance 1 listening/)
    expect(offline.stdout).toContain('/followed')
  })

  it('import adds a stack from a folder, and names the missing file otherwise', async () => {
    const { home, env } = await setup()
    const repo = path.join(home.dir, 'repo')
    fs.mkdirSync(repo)
    fs.writeFileSync(path.join(repo, 'aerie.stack.json'), JSON.stringify({ id: 'shop', name: 'Shop', hostnames: ['shop.localhost'], appServers: [{ name: 'web', command: 'true' }], routes: [{ appServer: 'web' }], proxy: { httpPort: 18999 } }))
    const { stdout } = await aerie(['import', repo], env)
    expect(stdout).toContain(`Imported Shop (shop) from ${path.join(repo, 'aerie.stack.json')}`)
    expect((await aerie(['list'], env)).stdout).toMatch(/shop\s+Shop\s+stopped/)
    await expect(aerie(['import', home.dir], env)).rejects.toMatchObject({ code: 4, stderr: expect.stringContaining('aerie.stack.json does not exist') })
  })

  it('stop without a running engine says the stack is not running', async () => {
    const { env } = await setup()
    await aerie(['export', 'demo', '--to', 'nginx'], env)
    const { stdout } = await aerie(['stop', 'demo'], env)
    expect(stdout).toContain('so stack demo is not running')
  })
  it('hosts apply writes a marked block with every stack name (and nothing else changes); remove gives the file back as it was', async () => {
    const { home, env } = await setup()
    const engine = new Engine({ dataDir: home.dir })
    await engine.init()
    await engine.invoke('stack:save', { stack: { id: 'shop', name: 'Shop', hostnames: ['shop.test', 'api.shop.test', 'localhost'], appServers: [{ name: 'web', command: '{node}' }], routes: [{ appServer: 'web' }], proxy: { httpPort: await findFreePort() } }, create: true })
    await engine.shutdown()
    const hosts = path.join(home.dir, 'hosts')
    const original = '127.0.0.1\tlocalhost\n# a comment of the owner\n10.0.0.5 nas.lan\n'
    fs.writeFileSync(hosts, original)
    const withHosts = { ...env, AERIE_HOSTS_FILE: hosts }
    expect((await aerie(['hosts', 'apply'], withHosts)).stdout).toContain(`${hosts} now maps api.shop.test, demo.localhost, shop.test to 127.0.0.1 and ::1`)
    const applied = fs.readFileSync(hosts, 'utf8')
    expect(applied.startsWith(original)).toBe(true)
    expect(applied).toContain('127.0.0.1 shop.test\n::1 shop.test')
    expect(applied).not.toMatch(/^127\.0\.0\.1 localhost$/m)
    expect((await aerie(['hosts', 'apply'], withHosts)).stdout).toContain('already maps')
    expect((await aerie(['hosts', 'remove'], withHosts)).stdout).toContain('removed')
    expect(fs.readFileSync(hosts, 'utf8')).toBe(original)
    await expect(aerie(['hosts', 'fix'], withHosts)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('apply, remove or show') })
    // The doctor reads a running stack: without an engine it says so, and without an id it says what it needs.
    // With --json, the failure too is JSON (on stderr), with its code.
    const noEngine = await aerie(['doctor', 'shop', '--json'], env).catch((e: { code: number; stderr: string }) => e)
    expect(noEngine).toMatchObject({ code: 6 })
    expect(JSON.parse((noEngine as { stderr: string }).stderr)).toEqual({ error: { code: 'unavailable', message: expect.stringContaining("the doctor reads a running stack's traces and logs; start it first") } })
    await expect(aerie(['doctor'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('`aerie doctor` needs a stack id') })
  })
  it('--version, and list/status --json in the shape the README gives', async () => {
    const { home, env } = await setup()
    expect((await aerie(['--version'], env)).stdout.trim()).toBe(JSON.parse(fs.readFileSync('package.json', 'utf8')).version)
    const engine = new Engine({ dataDir: home.dir })
    await engine.init()
    await engine.shutdown()
    const list = JSON.parse((await aerie(['list', '--json'], env)).stdout)
    expect(list).toEqual({ engineRunning: false, stacks: [{ id: 'demo', name: expect.any(String), state: 'stopped', urls: [expect.stringMatching(/^http:\/\/demo\.localhost:\d+\/$/)] }] })
    const status = JSON.parse((await aerie(['status', 'demo', '--json'], env)).stdout)
    expect(status.stacks[0]).toMatchObject({ id: 'demo', state: 'stopped', processes: [] })
    expect((await aerie(['--help'], env)).stdout).toContain('  help [command]  ')
    // Each command's own help, two ways; an unknown one is a usage error.
    expect((await aerie(['help', 'serve'], env)).stdout).toContain('--new-token')
    expect((await aerie(['serve', '--help'], env)).stdout).toBe((await aerie(['help', 'serve'], env)).stdout)
    await expect(aerie(['help', 'frob'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no command "frob"') })
  })
})
