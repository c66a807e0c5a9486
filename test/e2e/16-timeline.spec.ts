import path from 'node:path'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { requireBinary } from '../support/binaries.js'
import { expect, invoke, test } from './fixtures.js'
import { choose } from './naive.js'
import { snap } from './screenshots.js'

const dotnet = requireBinary('dotnet')

test('a request into the Kestrel sample: its trace opens on one waterfall (the proxy hop, the app span under it, the app log record), and "With app errors" finds the failing one', async ({ page, aerie, request }) => {
  test.skip(!dotnet, 'dotnet is not on PATH')
  test.setTimeout(180_000)
  const { appServer } = (await invoke(request, aerie, 'appserver:detect', { folder: path.resolve('resources/samples/KestrelSample') })) as { appServer: Record<string, unknown> }
  const port = await findFreePort()
  await invoke(request, aerie, 'stack:save', { stack: { id: 'timeline', name: 'Timeline', hostnames: ['timeline.localhost'], appServers: [{ ...appServer, dotnetMode: 'build-once' }], routes: [{ appServer: appServer.name }], proxy: { httpPort: port } }, create: true })
  await invoke(request, aerie, 'stack:start', { id: 'timeline' })
  const ask = (p: string) => page.request.get(`http://127.0.0.1:${port}${p}`, { headers: { host: `timeline.localhost:${port}` } })
  expect((await ask('/')).status()).toBe(200)
  expect((await ask('/boom')).status()).toBe(500)

  await page.goto(aerie.url)
  await page.keyboard.press('Alt+3')
  await page.locator('[data-path="/"]').first().click()
  const timeline = page.getByTestId('timeline')
  await expect(timeline.locator('[data-source="proxy"]')).toHaveCount(1)
  // The app's span arrives with its SDK's next export (about a second).
  await expect(timeline.locator('[data-source="app"]').first()).toContainText('timeline/kestrelsample#1', { timeout: 20_000 })
  await expect(page.getByTestId('timeline-logs')).toContainText('Greeting timeline.localhost')
  // From the app's span back to the proxy's hop, its parent.
  await timeline.locator('[data-source="app"]').first().click()
  await expect(page.getByTestId('timeline-span')).toContainText('url.path')
  await page.getByTestId('timeline-parent').click()
  await expect(page.getByTestId('timeline-span')).toContainText('aerie.upstream')
  await snap(timeline, 'trace-timeline.png')

  await choose(page.getByLabel('Status class'), 'With app errors')
  await expect(page.locator('[data-path="/boom"]')).toHaveCount(1, { timeout: 20_000 })
  await expect(page.locator('[data-path="/"]')).toHaveCount(0)
  await page.locator('[data-path="/boom"]').click()
  await expect(timeline.locator('[data-source="app"].tl-error').first()).toBeVisible({ timeout: 20_000 })
  await expect(page.getByTestId('timeline-logs')).toContainText('the sample failed on purpose')
  await invoke(request, aerie, 'stack:stop', { id: 'timeline' })
})
