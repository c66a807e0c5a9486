import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMMAND_NAMES, EVENT_NAMES } from '../../src-main/contract-names.js'
import { commandSchemas, eventSchemas } from '../../src-main/contract.js'

function files(dir: string, ext = /\.(ts|vue)$/): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? files(p, ext) : ext.test(e.name) ? [p] : []
  })
}
const importsOf = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1])

describe('architecture rules (DESIGN.md)', () => {
  it('nothing under src-main/core imports electron: the engine runs in plain Node', () => {
    const offenders = files('src-main/core').filter((f) => importsOf(f).includes('electron'))
    expect(importsOf('src-main/electron/main.ts')).toContain('electron') // the check sees real imports
    expect(offenders).toEqual([])
  })

  it('only ipc.ts touches ipcMain and only preload.ts touches ipcRenderer', () => {
    const all = [...files('src-main'), ...files('src-renderer/src')]
    const uses = (name: string) => all.filter((f) => new RegExp(`\\b${name}\\b`).test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative('.', f))
    expect(uses('ipcMain')).toEqual([path.join('src-main', 'electron', 'ipc.ts')])
    expect(uses('ipcRenderer')).toEqual([path.join('src-main', 'electron', 'preload.ts')])
  })

  it('in the renderer, only src/api touches window.aerie or a WebSocket', () => {
    const offenders = files('src-renderer/src')
      .filter((f) => !f.includes(`${path.sep}api${path.sep}`))
      .filter((f) => /window\.aerie|new WebSocket\(/.test(fs.readFileSync(f, 'utf8')))
    expect(offenders).toEqual([])
  })

  it('the renderer imports only types and pure schema modules from the main side', () => {
    const allowed = new Set(['contract', 'core/stacks/stack-schema', 'core/validation-error'])
    const offenders = files('src-renderer/src').flatMap((f) =>
      importsOf(f)
        .filter((i) => i.includes('src-main/'))
        .filter((i) => !allowed.has(i.split('src-main/')[1].replace(/\.js$/, '')))
        .map((i) => `${f}: ${i}`),
    )
    expect(offenders).toEqual([])
  })

  it('the preload loads no schema library: its only value imports are electron and the channel names', () => {
    const source = fs.readFileSync('src-main/electron/preload.ts', 'utf8')
    const valueImports = [...source.matchAll(/^import\s+(?!type\b)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1])
    expect(valueImports.sort()).toEqual(['../contract-names.js', 'electron'])
    expect(fs.readFileSync('src-main/contract-names.ts', 'utf8')).not.toMatch(/^import\s+(?!type\b)/m)
  })

  it('the channel names are exactly the contract schemas, in both directions', () => {
    expect(Object.keys(commandSchemas).sort()).toEqual([...COMMAND_NAMES].sort())
    expect(Object.keys(eventSchemas).sort()).toEqual([...EVENT_NAMES].sort())
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length)
  })
})
