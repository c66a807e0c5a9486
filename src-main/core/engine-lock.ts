import { constants as fsConstants } from 'node:fs'
import fs from 'node:fs/promises'
import { z } from 'zod'
import { writeFileAtomic } from './atomic-file.js'
import { dataLayout } from './data-layout.js'

/**
 * One engine per data directory. The engine (the Electron app, `aerie serve` or a foreground
 * `aerie start`) takes this file with O_CREAT|O_EXCL before it touches anything else: before
 * reaping survivors, before loading stacks. Once its API listens it adds the port and token, so
 * that the CLI sends its commands there instead of starting a second engine.
 */
export const EngineLockSchema = z.object({
  pid: z.number().int(),
  face: z.enum(['electron', 'serve', 'foreground', 'embedded']),
  startedAt: z.string(),
  /** Absent while the engine starts, until its loopback API listens. */
  port: z.number().int().optional(),
  token: z.string().min(16).optional(),
})
export type EngineLock = z.infer<typeof EngineLockSchema>
export type EngineFace = EngineLock['face']
/** A lock whose engine serves its API. */
export type ReachableEngineLock = EngineLock & { port: number; token: string }

export function lockFile(dataDir: string): string {
  return dataLayout(dataDir).lockFile
}

/** Thrown when another live engine holds the data directory. */
export class EngineBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: EngineLock,
  ) {
    const where = holder.port ? `, http://127.0.0.1:${holder.port}/` : ', still starting'
    super(`an Aerie engine already runs for ${dataDir} (${describeFace(holder.face)}, pid ${holder.pid}${where}); use it or stop it first`)
    this.name = 'EngineBusyError'
  }
}

function describeFace(face: EngineFace): string {
  return { electron: 'the desktop app', serve: '`aerie serve`', foreground: 'a foreground `aerie start`', embedded: 'an embedded engine' }[face]
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function parseLock(text: string): EngineLock | undefined {
  try {
    const parsed = EngineLockSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/**
 * The live engine's lock, or undefined. Read only: a stale lock is left for the next engine to
 * take over, so that read-only commands never change the data directory.
 */
export async function readEngineLock(dataDir: string): Promise<EngineLock | undefined> {
  const text = await fs.readFile(lockFile(dataDir), 'utf8').catch(() => undefined)
  const lock = text === undefined ? undefined : parseLock(text)
  return lock && isAlive(lock.pid) ? lock : undefined
}

export function isReachable(lock: EngineLock | undefined): lock is ReachableEngineLock {
  return lock?.port !== undefined && lock.token !== undefined
}

/** A lock file that an engine is writing right now (created, not yet filled) is this young at most. */
const FRESH_EMPTY_LOCK_MS = 2_000

/**
 * Takes the data directory for this process, atomically. A lock left by a dead process (or an
 * unreadable one older than a moment) is taken over; a live engine's lock throws EngineBusyError.
 */
export async function acquireEngineLock(dataDir: string, face: EngineFace, pid = process.pid): Promise<void> {
  const file = lockFile(dataDir)
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 })
  const mine: EngineLock = { pid, face, startedAt: new Date().toISOString() }
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const handle = await fs.open(file, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600)
      try {
        await handle.writeFile(JSON.stringify(mine) + '\n')
      } finally {
        await handle.close()
      }
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const text = await fs.readFile(file, 'utf8').catch(() => undefined)
    if (text === undefined) continue // removed meanwhile: try again
    const held = parseLock(text)
    if (held && isAlive(held.pid)) throw new EngineBusyError(dataDir, held)
    if (!held) {
      const age = Date.now() - ((await fs.stat(file).catch(() => undefined))?.mtimeMs ?? 0)
      if (age < FRESH_EMPTY_LOCK_MS) {
        await new Promise((r) => setTimeout(r, 50))
        continue
      }
    }
    await takeOverStale(file, text)
  }
  throw new Error(`could not take ${file}: it keeps changing; is another Aerie starting?`)
}

/**
 * Moves a stale lock aside by rename (atomic: of two engines taking over, one wins), then checks
 * that what it moved is the stale one; a fresh lock moved by mistake is put back.
 */
async function takeOverStale(file: string, staleText: string): Promise<void> {
  const aside = `${file}.${process.pid}.stale`
  try {
    await fs.rename(file, aside)
  } catch {
    return // another engine moved it first
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => staleText)
  if (moved !== staleText) await fs.link(aside, file).catch(() => undefined)
  await fs.rm(aside, { force: true })
}

/** Adds the API's port and token once it listens. Mode 0600: the token grants control of the engine. */
export async function publishEngineLock(dataDir: string, api: { port: number; token: string }, pid = process.pid): Promise<void> {
  const text = await fs.readFile(lockFile(dataDir), 'utf8')
  const current = parseLock(text)
  if (current?.pid !== pid) throw new Error(`${lockFile(dataDir)} is not held by this process`)
  await writeFileAtomic(lockFile(dataDir), JSON.stringify({ ...current, ...api }) + '\n', 0o600)
}

export async function releaseEngineLock(dataDir: string, pid = process.pid): Promise<void> {
  const text = await fs.readFile(lockFile(dataDir), 'utf8').catch(() => undefined)
  if (text !== undefined && parseLock(text)?.pid === pid) await fs.rm(lockFile(dataDir), { force: true })
}
