#!/usr/bin/env node
// The `aerie` command. It runs the built CLI (out/main/cli.js, from `npm run build`), which starts in
// a fraction of the time the TypeScript sources take through tsx. In a source tree whose src-main/ is
// newer than that build (or that was never built), it runs the sources through tsx instead, so a
// clone needs no build step and an edit is never shadowed by an old build.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const built = path.join(root, 'out', 'main', 'cli.js')

/** The newest modification time under a folder (src-main holds about 200 files: a few milliseconds). */
function newest(dir) {
  let latest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs)
  }
  return latest
}

function builtIsCurrent() {
  if (process.env.AERIE_CLI === 'source') return false
  const builtAt = fs.statSync(built, { throwIfNoEntry: false })?.mtimeMs
  if (builtAt === undefined) return false
  const sources = path.join(root, 'src-main')
  // A packaged app ships the build without the sources.
  return !fs.existsSync(sources) || newest(sources) <= builtAt
}

let main
if (builtIsCurrent()) ({ main } = await import(built))
else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src-main/cli/main.ts'))
}
const code = await main(process.argv.slice(2))
// -1: a long-running command (serve, foreground start) that exits on a signal.
if (code >= 0) process.exit(code)
