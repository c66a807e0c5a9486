import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

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
})
