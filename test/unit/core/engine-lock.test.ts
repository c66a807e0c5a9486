import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireEngineLock, EngineBusyError, lockFile, publishEngineLock, readEngineLock, releaseEngineLock } from '../../../src-main/core/engine-lock.js'
import { tempHome } from '../../support/temp-home.js'

const homes: { cleanup: () => void }[] = []
afterEach(() => homes.splice(0).forEach((h) => h.cleanup()))
function home(): string {
  const h = tempHome()
  homes.push(h)
  return h.dir
}

/** A pid that surely belongs to no live process: one that just exited. */
function deadPid(): number {
  return spawnSync('true').pid!
}

describe('engine lock', () => {
  it('of two engines taking one data directory at once, exactly one wins; the other is told who holds it', async () => {
    const dir = home()
    const results = await Promise.allSettled([acquireEngineLock(dir, 'serve'), acquireEngineLock(dir, 'electron')])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(refused.reason).toBeInstanceOf(EngineBusyError)
    expect((refused.reason as Error).message).toMatch(/an Aerie engine already runs for .* \(.*, pid \d+, still starting\)/)
    expect((fs.statSync(lockFile(dir)).mode & 0o777).toString(8)).toBe('600')
  })

  it('takes over a lock left by a dead process, and an unreadable one', async () => {
    const dir = home()
    fs.writeFileSync(lockFile(dir), JSON.stringify({ pid: deadPid(), face: 'serve', startedAt: 'x', port: 1, token: 'a'.repeat(20) }))
    expect(await readEngineLock(dir)).toBeUndefined()
    expect(fs.existsSync(lockFile(dir))).toBe(true) // reading never changes the directory
    await acquireEngineLock(dir, 'serve')
    expect((await readEngineLock(dir))?.pid).toBe(process.pid)
    await releaseEngineLock(dir)

    fs.writeFileSync(lockFile(dir), 'garbage')
    fs.utimesSync(lockFile(dir), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    await acquireEngineLock(dir, 'foreground')
    expect((await readEngineLock(dir))?.face).toBe('foreground')
  })

  it('publishes the API once it listens, and only the holder releases it', async () => {
    const dir = home()
    await acquireEngineLock(dir, 'serve')
    expect((await readEngineLock(dir))?.port).toBeUndefined()
    await publishEngineLock(dir, { port: 4321, token: 't'.repeat(24) })
    expect(await readEngineLock(dir)).toMatchObject({ pid: process.pid, port: 4321, face: 'serve' })
    await releaseEngineLock(dir, process.pid + 1)
    expect(fs.existsSync(lockFile(dir))).toBe(true)
    await releaseEngineLock(dir)
    expect(fs.existsSync(lockFile(dir))).toBe(false)
  })
})
