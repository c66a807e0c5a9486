import { spawn, type ChildProcess } from 'node:child_process'
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
