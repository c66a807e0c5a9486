// The installers' CLI, without electron-builder or the Electron binary (neither runs here): the
// deb's after-install script is rendered the way electron-builder renders it, run into a folder
// laid out like /opt/Aerie, and the `aerie` it links is run. A stub stands in for the Electron
// binary; like the real one with ELECTRON_RUN_AS_NODE=1, it runs its first argument as Node.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import config from '../../electron-builder.config.mjs'

const run = promisify(execFile)
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }
const executable = config.linux?.executableName as string
const productName = config.productName as string

/** electron-builder's FpmTarget fills `${name}` macros and refuses an unknown one. */
function renderTemplate(file: string): string {
  const macros: Record<string, string> = { executable, sanitizedProductName: productName }
  return fs.readFileSync(file, 'utf8').replace(/\${([a-zA-Z]+)}/g, (_m, name: string) => {
    if (!(name in macros)) throw new Error(`Macro ${name} is not defined`)
    return macros[name]
  })
}

function copy(from: string, to: string) {
  fs.cpSync(from, to, { recursive: true })
}

let root: string
let app: string
const stubLog = () => path.join(root, 'stub.log')

beforeAll(() => {
  if (!fs.existsSync('out/main/cli.js')) throw new Error('out/main/cli.js is missing: run `npx electron-vite build` first (.ci/run does)')
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aerie-package-'))
  app = path.join(root, 'opt', productName)
  const archive = path.join(app, 'resources', 'app.asar')
  // `files`: the build, the CLI's entry and package.json go into the archive; node_modules beside them.
  copy('out/main', path.join(archive, 'out', 'main'))
  copy('bin/aerie.js', path.join(archive, 'bin', 'aerie.js'))
  copy('package.json', path.join(archive, 'package.json'))
  fs.symlinkSync(path.resolve('node_modules'), path.join(archive, 'node_modules'))
  copy('resources', path.join(archive, 'resources'))
  // `extraResources`: resources/cli → <app>/resources/cli.
  for (const extra of config.extraResources as { from: string; to: string }[]) copy(extra.from, path.join(app, 'resources', extra.to))
  fs.writeFileSync(
    path.join(app, executable),
    `#!/bin/sh\necho "$ELECTRON_RUN_AS_NODE $1" >> "${stubLog()}"\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 90\nexec "${process.execPath}" "$@"\n`,
    { mode: 0o755 },
  )
})
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('packaging: the CLI ships with the app', () => {
  it('lists the CLI in the installer config and builds installers only for Linux', () => {
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'bin/aerie.js', 'package.json']))
    expect(config.extraResources).toEqual([{ from: 'resources/cli', to: 'cli' }])
    expect(executable).not.toBe('aerie')
    expect(fs.readFileSync('resources/cli/aerie', 'utf8')).toContain(`"$app/${executable}"`)
    expect(config.mac).toBeUndefined()
    expect(config.win).toBeUndefined()
  })

  it('installs `aerie` on PATH with the deb, runs it through the app binary in Node mode, and removes it again', async () => {
    const env = { ...process.env, AERIE_PACKAGE_ROOT: root, AERIE_HOME: path.join(root, 'home'), NO_COLOR: '1' }
    const install = path.join(root, 'after-install.sh')
    fs.writeFileSync(install, renderTemplate(config.deb!.afterInstall as string))
    await run('bash', [install], { env })

    const onPath = path.join(root, 'usr', 'bin', 'aerie')
    expect(fs.realpathSync(onPath)).toBe(path.join(fs.realpathSync(app), 'resources', 'cli', 'aerie'))
    expect(fs.readlinkSync(path.join(root, 'usr', 'bin', executable))).toBe(path.join(app, executable))

    const version = await run(onPath, ['--version'], { env })
    expect(version.stdout.trim()).toBe(pkg.version)
    const list = await run(onPath, ['list', '--json'], { env })
    expect(JSON.parse(list.stdout)).toEqual({ engineRunning: false, stacks: [] })
    const missing = await run(onPath, ['logs', 'no-such-stack'], { env }).catch((e: { code: number; stderr: string }) => e)
    expect(missing).toMatchObject({ code: 4 })
    // Every run went through the app's binary, with Node mode on, from the archive.
    const calls = fs.readFileSync(stubLog(), 'utf8').trim().split('\n')
    expect(calls).toHaveLength(3)
    for (const call of calls) expect(call).toBe(`1 ${path.join(app, 'resources', 'app.asar', 'bin', 'aerie.js')}`)

    const remove = path.join(root, 'after-remove.sh')
    fs.writeFileSync(remove, renderTemplate(config.deb!.afterRemove as string))
    await run('bash', [remove], { env })
    expect(fs.existsSync(onPath)).toBe(false)
    expect(fs.readdirSync(path.join(root, 'usr', 'bin'))).toEqual([])
  })
})
