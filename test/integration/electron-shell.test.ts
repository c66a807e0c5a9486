// The desktop shell as built (out/main/index.js), run in plain Node with a stub in place of the
// `electron` module (test/support/electron-stub): the part of the desktop app that can be
// exercised without the Electron binary. It shows that the shell wires the engine to the window,
// IPC and tray, honours the single-instance lock and the data-directory lock, and stops every
// stack before it quits.
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { COMMAND_NAMES } from '../../src-main/contract-names.js'
import { Engine } from '../../src-main/core/engine.js'
import { lockFile, readEngineLock } from '../../src-main/core/engine-lock.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { isAlive, waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'

const shellEntry = path.resolve('out/main/index.js')
const register = path.resolve('test/support/electron-stub/register.mjs')
const rendererUrl = `file://${path.resolve('out/renderer')}/index.html`

interface Message {
  type: string
  [key: string]: unknown
}

/** The built shell, forked with the stub: what it reported, and a way to send it orders. */
function startShell(env: NodeJS.ProcessEnv) {
  if (!fs.existsSync(shellEntry)) throw new Error('out/main/index.js is missing: run `npx electron-vite build` first (.ci/run does)')
  const child: ChildProcess = fork(shellEntry, [], { execArgv: ['--import', register], env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  const messages: Message[] = []
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  child.on('message', (m) => messages.push(m as Message))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const next = async (type: string, match: (m: Message) => boolean = () => true, timeoutMs = 30_000): Promise<Message> => {
    await waitFor(() => messages.some((m) => m.type === type && match(m)), timeoutMs).catch(() => {
      throw new Error(`the shell never reported ${type}; it reported ${messages.map((m) => m.type).join(', ')}; output: ${output}`)
    })
    return messages.find((m) => m.type === type && match(m))!
  }
  let invocations = 0
  const invoke = async (name: string, request: unknown, senderUrl = rendererUrl) => {
    const id = ++invocations
    child.send({ type: 'invoke', id, name, request, senderUrl })
    return (await next('invoked', (m) => m.id === id)).response as { ok: boolean; result?: any; error?: { code?: string; message: string } }
  }
  return { child, messages, next, invoke, exited, output: () => output }
}

const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function home() {
  const h = tempHome()
  cleanups.push(h.cleanup)
  return { dir: h.dir, env: { AERIE_HOME: h.dir, AERIE_DEMO_PORT: String(await findFreePort()) } }
}

describe('Electron shell (built, with a stub electron module)', () => {
  it('wires the engine to a sandboxed window, IPC for every command and the tray; keeps stacks running with the window closed; Quit stops them', async () => {
    const { dir, env } = await home()
    const shell = startShell(env)

    const window = await shell.next('window')
    expect(window).toMatchObject({ contextIsolation: true, sandbox: true })
    const preload = fs.readFileSync(window.preload as string, 'utf8')
    expect(preload).toContain('exposeInMainWorld')
    expect(preload).not.toMatch(/zod/i)
    expect((await shell.next('load')).file).toBe(path.resolve('out/renderer/index.html'))
    expect(await shell.next('csp')).toMatchObject({ installed: true })

    shell.child.send({ type: 'handlers' })
    expect(((await shell.next('handlers')).names as string[]).sort()).toEqual([...COMMAND_NAMES].sort())

    // The engine holds the data directory and publishes the loopback API the CLI uses.
    const lock = await readEngineLock(dir)
    expect(lock).toMatchObject({ pid: shell.child.pid, face: 'electron' })
    expect(lock?.port).toBeGreaterThan(0)

    const list = await shell.invoke('stack:list', {})
    expect(list.ok).toBe(true)
    expect(list.result.map((v: { stack: { id: string } }) => v.stack.id)).toContain('demo')
    expect(await shell.invoke('stack:list', {}, 'https://evil.example/')).toMatchObject({ ok: false, error: { code: 'denied' } })
    expect(await shell.invoke('stack:start', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not-found' } })

    expect((await shell.invoke('stack:start', { id: 'demo' })).ok).toBe(true)
    const running = await shell.invoke('stack:get', { id: 'demo' })
    const pids = running.result.processes.map((p: { pid?: number }) => p.pid).filter(Boolean) as number[]
    expect(pids.length).toBeGreaterThan(0)
    expect(pids.every(isAlive)).toBe(true)
    // Engine events reach the window, and the tray lists the stack with its state.
    await shell.next('renderer-event', (m) => m.channel === 'stack:state' && (m.payload as { state: string }).state === 'running')
    await shell.next('tray-menu', (m) => (m.labels as string[]).includes('●  Demo'))

    shell.child.send({ type: 'close-windows' })
    await shell.next('windows-closed')
    await new Promise((r) => setTimeout(r, 300))
    expect(shell.child.exitCode).toBeNull()
    expect(pids.every(isAlive)).toBe(true)

    shell.child.send({ type: 'click-tray', label: 'Quit Aerie (stops every stack)' })
    expect(await shell.exited).toBe(0)
    expect(shell.messages.filter((m) => m.type === 'quit').map((m) => m.prevented)).toEqual([true, false])
    expect(pids.filter(isAlive)).toEqual([])
    expect(fs.existsSync(lockFile(dir))).toBe(false)
  })

  it('a second instance hands over and quits without touching the data directory', async () => {
    const { dir, env } = await home()
    const shell = startShell({ ...env, STUB_SINGLE_INSTANCE: 'taken' })
    expect(await shell.exited).toBe(0)
    expect(shell.messages.map((m) => m.type)).toEqual(['single-instance-lock', 'quit'])
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it('when another engine holds the data directory, says so, opens that engine and leaves it alone', async () => {
    const { dir, env } = await home()
    const holder = new Engine({ dataDir: dir, face: 'serve' })
    await holder.init()
    cleanups.push(() => holder.shutdown())
    await holder.publish({ port: 45678, token: 'x'.repeat(32) })

    const shell = startShell(env)
    expect(await shell.exited).toBe(1)
    expect(await shell.next('error-box')).toMatchObject({ title: 'Aerie is already running' })
    expect(await shell.next('open-external')).toMatchObject({ url: 'http://127.0.0.1:45678/' })
    expect(shell.messages.some((m) => m.type === 'window')).toBe(false)
    expect((await readEngineLock(dir))?.pid).toBe(process.pid)
  })
})
