import { describe, expect, it } from 'vitest'
import { ManagedProcess, type ProcessSpec } from '../../src-main/core/supervisor/managed-process.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { isAlive, waitFor } from '../support/processes.js'

const node = process.execPath
const listen = (extra = '') => `const s=require('http').createServer((q,r)=>r.end('ok'));s.listen(process.env.PORT,'127.0.0.1',()=>console.log('up'));${extra}`

async function spec(args: string[], overrides: Partial<ProcessSpec> = {}): Promise<ProcessSpec> {
  const port = await findFreePort()
  return {
    id: 't/app#1',
    command: node,
    args,
    cwd: process.cwd(),
    env: { ...(process.env as Record<string, string>), PORT: String(port) },
    port,
    readiness: { kind: 'tcp', path: '/', expectStatus: 200, timeoutMs: 5000 },
    ...overrides,
  }
}

describe('ManagedProcess', () => {
  it('goes starting → running → stopping → stopped and reports its output', async () => {
    const p = new ManagedProcess(await spec(['-e', listen()]))
    const states: string[] = []
    const lines: string[] = []
    p.onState((s) => states.push(s.state))
    p.onOutput((l) => lines.push(...l))
    await p.start()
    // The port accepts connections a moment before the listen callback logs.
    await waitFor(() => lines.includes('up'), 3000, 'the output line')
    await p.stop()
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped'])
  })

  it('reports a process that exits before it is ready as crashed, with its exit code', async () => {
    const p = new ManagedProcess(await spec(['-e', 'console.error("boom"); process.exit(3)']))
    await expect(p.start()).rejects.toThrow(/exited with code 3/)
    expect(p.current).toMatchObject({ state: 'crashed', exitCode: 3 })
  })

  it('names a process that ends on its own with code 0 "exited", not "crashed"', async () => {
    const p = new ManagedProcess(await spec(['-e', listen('setTimeout(() => process.exit(0), 300)')]))
    await p.start()
    await waitFor(() => p.current.state !== 'running', 5000, 'the exit')
    expect(p.current).toMatchObject({ state: 'exited', exitCode: 0, error: 'exited with code 0' })
  })

  it('gives up on a process that never becomes ready, and stops it', async () => {
    const p = new ManagedProcess(await spec(['-e', 'setInterval(()=>{},1000)'], { readiness: { kind: 'tcp', path: '/', expectStatus: 200, timeoutMs: 500 } }))
    await expect(p.start()).rejects.toThrow(/not ready after 500 ms/)
    const pid = p.current.pid!
    expect(p.current.state).toBe('crashed')
    await waitFor(() => !isAlive(pid), 3000, 'the unready process to be stopped')
  })

  it('kills the whole process group on stop, grandchildren included', async () => {
    const p = new ManagedProcess(await spec(['-e', listen("const c=require('child_process').spawn('sleep',['300'],{stdio:'ignore'});console.log('child '+c.pid)")]))
    const lines: string[] = []
    p.onOutput((l) => lines.push(...l))
    await p.start()
    await waitFor(() => lines.some((l) => l.startsWith('child ')), 3000, 'the grandchild pid')
    const grandchild = Number(lines.find((l) => l.startsWith('child '))!.split(' ')[1])
    expect(isAlive(grandchild)).toBe(true)
    await p.stop()
    await waitFor(() => !isAlive(grandchild), 3000, 'the grandchild to die')
  })

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const p = new ManagedProcess(await spec(['-e', listen("process.on('SIGTERM',()=>console.log('ignoring'))")], { stopGraceMs: 300 }))
    const lines: string[] = []
    p.onOutput((l) => lines.push(...l))
    await p.start()
    const pid = p.current.pid!
    const started = Date.now()
    await p.stop()
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect(isAlive(pid)).toBe(false)
    expect(p.current.state).toBe('stopped')
    expect(lines.some((l) => l.includes('killing its process group'))).toBe(true)
  })

  it('says clearly when the program does not exist', async () => {
    const missing = new ManagedProcess(await spec([], { command: '/nonexistent/dotnet' }))
    await expect(missing.start()).rejects.toThrow('program /nonexistent/dotnet does not exist or is not executable')
    expect(missing.current.state).toBe('crashed')
    const notOnPath = new ManagedProcess(await spec([], { command: 'aerie-no-such-program' }))
    await expect(notOnPath.start()).rejects.toThrow('"aerie-no-such-program" was not found on PATH')
    const badCwd = new ManagedProcess(await spec(['-e', ''], { cwd: '/nonexistent-dir' }))
    await expect(badCwd.start()).rejects.toThrow('working directory /nonexistent-dir does not exist')
  })

  it('restarts a crashing app with growing delays, then marks it failed after the limit', async () => {
    const p = new ManagedProcess(
      await spec(['-e', listen("console.log('pid '+process.pid);setTimeout(()=>process.exit(7),300)")], {
        restart: { mode: 'on-failure', initialDelayMs: 100, maxDelayMs: 10_000, burst: 3, windowMs: 60_000 },
      }),
    )
    const backoffs: number[] = []
    const states: string[] = []
    p.onState((s) => {
      states.push(s.state)
      if (s.state === 'backoff') backoffs.push(s.nextRestartAt! - Date.now())
    })
    await p.start()
    await waitFor(() => p.current.state === 'failed', 15_000, 'the crash loop to end in failed')
    const status = p.current
    expect(status.restarts).toBe(3)
    expect(status.exitCode).toBe(7)
    expect(status.error).toMatch(/exited with code 7; crashed 4 times within 60 s/)
    expect(status.lastLines?.some((l) => l.startsWith('pid '))).toBe(true)
    // 100, 200, 400 ms (measured a moment after they were set)
    expect(backoffs).toHaveLength(3)
    expect(backoffs[0]).toBeGreaterThan(50)
    expect(backoffs[0]).toBeLessThanOrEqual(100)
    expect(backoffs[1]).toBeGreaterThan(150)
    expect(backoffs[2]).toBeGreaterThan(350)
    expect(states.filter((s) => s === 'running')).toHaveLength(4)
    await p.stop()
    expect(p.current.state).toBe('failed')
  })

  it('does not restart with policy never, and a stop during backoff cancels the restart', async () => {
    const never = new ManagedProcess(await spec(['-e', listen('setTimeout(()=>process.exit(1),200)')], { restart: { mode: 'never', initialDelayMs: 50, maxDelayMs: 50, burst: 5, windowMs: 60_000 } }))
    await never.start()
    await waitFor(() => never.current.state === 'crashed', 5000, 'the crash')
    expect(never.current.restarts).toBe(0)

    const backing = new ManagedProcess(await spec(['-e', listen('setTimeout(()=>process.exit(1),200)')], { restart: { mode: 'always', initialDelayMs: 5000, maxDelayMs: 5000, burst: 5, windowMs: 60_000 } }))
    await backing.start()
    await waitFor(() => backing.current.state === 'backoff', 5000, 'the backoff')
    await backing.stop()
    expect(backing.current.state).toBe('stopped')
    await new Promise((r) => setTimeout(r, 200))
    expect(backing.current.state).toBe('stopped')
  })
})
