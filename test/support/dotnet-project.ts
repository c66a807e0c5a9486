import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Environment for dotnet in tests: no telemetry banner, no first-run output. */
export const DOTNET_ENV = { DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' }

/**
 * Builds a small .NET project that a test writes out (its files by name), once per machine:
 * the output is keyed by the files' text, so a changed project is built anew. Resolves the dll.
 */
export async function buildDotnetProject(name: string, files: Record<string, string>): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 10)
  const dir = path.join(os.tmpdir(), `aerie-${name}-${hash}`)
  const dll = path.join(dir, 'out', `${name}.dll`)
  if (fs.existsSync(dll)) return dll
  fs.mkdirSync(dir, { recursive: true })
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text)
  await run('dotnet', ['build', dir, '-c', 'Release', '-o', path.join(dir, 'out'), '--nologo'], { env: { ...process.env, ...DOTNET_ENV }, maxBuffer: 16 * 1024 * 1024 })
  return dll
}
