import fs from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from './atomic-file.js'

/**
 * A running engine (the Electron app or `aerie serve`) leaves this file in the data
 * directory so that the CLI sends its commands there instead of starting a second engine.
 */
export const EngineLockSchema = z.object({
  pid: z.number().int(),
  port: z.number().int(),
  token: z.string().min(16),
  face: z.enum(['electron', 'serve', 'foreground']),
  startedAt: z.string(),
})
export type EngineLock = z.infer<typeof EngineLockSchema>

export function lockFile(dataDir: string): string {
  return path.join(dataDir, 'engine.lock.json')
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The live engine's lock, or undefined; a lock left by a dead process is removed. */
export async function readEngineLock(dataDir: string): Promise<EngineLock | undefined> {
  const file = lockFile(dataDir)
  let raw: string
  try {
    raw = await fs.readFile(file, 'utf8')
  } catch {
    return undefined
  }
  const parsed = EngineLockSchema.safeParse(safeJson(raw))
  if (!parsed.success || !isAlive(parsed.data.pid)) {
    await fs.rm(file, { force: true })
    return undefined
  }
  return parsed.data
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Mode 0600: the token in it grants control of the engine. */
export async function writeEngineLock(dataDir: string, lock: EngineLock): Promise<void> {
  await writeFileAtomic(lockFile(dataDir), JSON.stringify(lock) + '\n', 0o600)
}

export async function removeEngineLock(dataDir: string, pid = process.pid): Promise<void> {
  const current = await readEngineLock(dataDir)
  if (current?.pid === pid) await fs.rm(lockFile(dataDir), { force: true })
}
