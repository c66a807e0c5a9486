import fs from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../atomic-file.js'
import { dataLayout } from '../data-layout.js'
import { parseStack } from './known-keys.js'
import { z } from 'zod'
import { readStackFile } from './stack-file.js'
import type { Stack } from './stack-schema.js'

const LinksSchema = z.array(z.object({ id: z.string(), file: z.string() }))
export type StackLink = z.infer<typeof LinksSchema>[number]

/**
 * Stacks as one JSON file each under `<dataDir>/stacks/`, plus stacks that live in an app's
 * own repository as aerie.stack.json, remembered in `<dataDir>/links.json`.
 */
const STACK_FILE_MODE = 0o600
/** A temp file older than this belongs to a write that will never finish. */
const STALE_TEMP_MS = 60_000

export class StackStore {
  readonly dir: string
  private readonly linksFile: string

  constructor(dataDir: string) {
    const layout = dataLayout(dataDir)
    this.dir = layout.stacksDir
    this.linksFile = layout.links
    this.fileOf = layout.stackFile
  }

  async links(): Promise<StackLink[]> {
    try {
      return LinksSchema.parse(JSON.parse(await fs.readFile(this.linksFile, 'utf8')))
    } catch {
      return []
    }
  }

  async link(id: string, file: string): Promise<void> {
    const links = (await this.links()).filter((l) => l.id !== id)
    links.push({ id, file })
    await writeFileAtomic(this.linksFile, JSON.stringify(links, null, 2) + '\n')
  }

  async unlink(id: string): Promise<void> {
    const links = (await this.links()).filter((l) => l.id !== id)
    await writeFileAtomic(this.linksFile, JSON.stringify(links, null, 2) + '\n')
  }

  /** Linked stacks, each read from its own file; a file that is missing or invalid is reported in `broken`. */
  async listLinked(): Promise<{ stacks: { stack: Stack; file: string }[]; broken: { file: string; message: string }[] }> {
    const stacks: { stack: Stack; file: string }[] = []
    const broken: { file: string; message: string }[] = []
    for (const { file } of await this.links()) {
      try {
        stacks.push({ stack: await readStackFile(file), file })
      } catch (err) {
        broken.push({ file, message: (err as Error).message })
      }
    }
    return { stacks, broken }
  }

  readonly fileOf: (id: string) => string

  /** Every readable stack; a broken file is reported in `broken`, never dropped or overwritten. */
  async list(): Promise<{ stacks: Stack[]; broken: { file: string; message: string }[] }> {
    let names: string[]
    try {
      names = await fs.readdir(this.dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { stacks: [], broken: [] }
      throw err
    }
    const stacks: Stack[] = []
    const broken: { file: string; message: string }[] = []
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(this.dir, name)
      try {
        stacks.push(await this.read(file))
      } catch (err) {
        broken.push({ file, message: (err as Error).message })
      }
    }
    return { stacks, broken }
  }

  async get(id: string): Promise<Stack | undefined> {
    try {
      return await this.read(this.fileOf(id))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Mode 0600: a stack's env may hold secrets (connection strings, API keys). */
  async save(stack: Stack): Promise<void> {
    await writeFileAtomic(this.fileOf(stack.id), JSON.stringify(stack, null, 2) + '\n', STACK_FILE_MODE)
  }

  /**
   * At start: removes the temp files of writes that never finished (a crash between write and
   * rename), and narrows stack files written before they were private to 0600.
   */
  async tidy(now = Date.now()): Promise<{ removed: string[] }> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[])
    const removed: string[] = []
    for (const name of names) {
      const file = path.join(this.dir, name)
      const stat = await fs.stat(file).catch(() => undefined)
      if (!stat?.isFile()) continue
      if (/\.json\.[0-9a-f]+\.tmp$/.test(name)) {
        // Older than any write in progress (a write takes milliseconds): another engine's rename is never raced.
        if (now - stat.mtimeMs > STALE_TEMP_MS) {
          await fs.rm(file, { force: true })
          removed.push(name)
        }
      } else if (name.endsWith('.json') && (stat.mode & 0o077) !== 0) await fs.chmod(file, STACK_FILE_MODE).catch(() => undefined)
    }
    return { removed }
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.fileOf(id), { force: true })
  }

  private async read(file: string): Promise<Stack> {
    const text = await fs.readFile(file, 'utf8')
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix or delete the file`)
    }
    return parseStack(json, `Stack file ${file}`)
  }
}
