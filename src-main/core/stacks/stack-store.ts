import fs from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../atomic-file.js'
import { parseOrThrow } from '../validation-error.js'
import { StackSchema, type Stack } from './stack-schema.js'

/** Stacks as one JSON file each under `<dataDir>/stacks/`. */
export class StackStore {
  readonly dir: string

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'stacks')
  }

  fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`)
  }

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

  async save(stack: Stack): Promise<void> {
    await writeFileAtomic(this.fileOf(stack.id), JSON.stringify(stack, null, 2) + '\n')
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
    return parseOrThrow(StackSchema, json, `Stack file ${file}`)
  }
}
