import { createRequire } from 'node:module'
import path from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'
import { tempHome } from '../support/temp-home.js'

const require = createRequire(import.meta.url)

function electronBinary(): string | undefined {
  try {
    return require('electron') as string
  } catch {
    return undefined
  }
}

// The only test allowed to skip under CI: the Electron binary cannot be downloaded on these machines.
test('electron smoke: the desktop window shows the stacks view', async () => {
  const binary = electronBinary()
  if (!binary) console.log('skipping the Electron smoke test: the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)')
  test.skip(!binary, 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)')
  const home = tempHome('aerie-electron-')
  const app = await electron.launch({ executablePath: binary, args: [path.resolve('out/main/index.js')], env: { ...process.env, AERIE_HOME: home.dir } })
  try {
    const window = await app.firstWindow()
    await expect(window.getByRole('heading', { name: 'Stacks', level: 1 })).toBeVisible()
  } finally {
    await app.close()
    home.cleanup()
  }
})
