import fs from 'node:fs'
import path from 'node:path'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { tempHome } from '../support/temp-home.js'
import { startServe, stopServe } from './aerie-serve.js'
import { expect, test } from './fixtures.js'

const serve = (home: string, port: number) => startServe({ AERIE_HOME: home, AERIE_DEMO_PORT: String(port + 1) }, ['--port', String(port)])

test('a lost connection shows a banner, and the page reconnects by itself when aerie serve is back', async ({ page }) => {
  const home = tempHome('aerie-reconnect-')
  const port = await findFreePort()
  const first = await serve(home.dir, port)
  await page.goto(first.url)
  await expect(page.locator('[data-stack="demo"]')).toBeVisible()

  await stopServe(first.child)
  await expect(page.getByTestId('connection-lost')).toBeVisible()

  const second = await serve(home.dir, port)
  expect(second.url).toBe(first.url) // the token survives a restart
  await expect(page.getByTestId('connection-lost')).toHaveCount(0, { timeout: 15_000 })
  await expect(page.locator('[data-stack="demo"]')).toBeVisible()
  await stopServe(second.child)
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
    await stopServe(child)
    home.cleanup()
  }
})
