import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { tempHome } from '../support/temp-home.js'
import { expect, test } from './fixtures.js'

function serve(home: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.resolve('bin/aerie.js'), 'serve', '--quiet', '--port', String(port)], { env: { ...process.env, AERIE_HOME: home, AERIE_DEMO_PORT: String(port + 1) } })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const m = /serving its UI at (\S+)/.exec(out)
      if (m) resolve({ child, url: m[1] })
    })
    child.on('exit', (code) => reject(new Error(`aerie serve exited with ${code}: ${out}`)))
  })
}

test('a lost connection shows a banner, and the page reconnects by itself when aerie serve is back', async ({ page }) => {
  const home = tempHome('aerie-reconnect-')
  const port = await findFreePort()
  const first = await serve(home.dir, port)
  await page.goto(first.url)
  await expect(page.locator('[data-stack="demo"]')).toBeVisible()

  const exited = new Promise((r) => first.child.on('exit', r))
  first.child.kill('SIGTERM')
  await exited
  await expect(page.getByTestId('connection-lost')).toBeVisible()

  const second = await serve(home.dir, port)
  expect(second.url).toBe(first.url) // the token survives a restart
  await expect(page.getByTestId('connection-lost')).toHaveCount(0, { timeout: 15_000 })
  await expect(page.locator('[data-stack="demo"]')).toBeVisible()
  second.child.kill('SIGTERM')
  await new Promise((r) => second.child.on('exit', r))
  home.cleanup()
})

test('a stack file that cannot be read at start is shown on the Stacks view, and left untouched', async ({ page }) => {
  const home = tempHome('aerie-broken-')
  const file = path.join(home.dir, 'stacks', 'broken.json')
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, '{ "id": "broken", ')
  const { child, url } = await serve(home.dir, await findFreePort())
  try {
    await page.goto(url)
    const banner = page.getByTestId('broken-stacks')
    await expect(banner).toContainText('One stack file could not be read')
    await expect(banner).toContainText(file)
    await expect(banner).toContainText('is not valid JSON')
    await expect(page.locator('[data-stack="demo"]')).toBeVisible()
    expect(fs.readFileSync(file, 'utf8')).toBe('{ "id": "broken", ')
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.on('exit', r))
    home.cleanup()
  }
})
