import net from 'node:net'
import { expect, test } from './fixtures.js'
import { snap } from './screenshots.js'

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
}

test('Start turns the demo green and its URL answers; Stop turns it grey and closes the ports', async ({ page, context, aerie }) => {
  await page.goto(aerie.url)
  const card = page.locator('[data-stack="demo"]')
  const badge = card.getByTestId('state').first()
  await expect(badge).toHaveText('stopped')

  await card.getByTestId('toggle').click()
  await expect(badge).toHaveText('running')
  await expect(badge).toHaveCSS('color', 'rgb(22, 101, 52)')
  await expect(card.locator('tbody tr')).toHaveCount(2)
  await expect(card.getByTestId('toggle')).toHaveText('Stop')
  const instancePorts = (await card.locator('tbody tr td:nth-child(4)').allTextContents()).map(Number)

  const url = await card.getByTestId('url').textContent()
  expect(url).toBe(`http://demo.localhost:${aerie.demoPort}/`)
  // Chromium resolves *.localhost to loopback itself: open the stack's URL as a user would.
  const site = await context.newPage()
  const response = await site.goto(url!)
  expect(response?.status()).toBe(200)
  await expect(site.locator('#instance')).toHaveText(/^instance [12]$/)
  await expect(site.locator('table')).toContainText('x-forwarded-proto')
  await site.close()
  // Round robin: two more requests (no favicon fetches in between) reach both instances.
  const served = new Set<number>()
  for (let i = 0; i < 2; i++) {
    const res = await page.request.get(`http://127.0.0.1:${aerie.demoPort}/api/whoami`, { headers: { host: `demo.localhost:${aerie.demoPort}` } })
    served.add((await res.json()).instance)
  }
  expect([...served].sort()).toEqual([1, 2])

  await page.setViewportSize({ width: 1200, height: 560 })
  await snap(page, 'stacks-running.png')

  await card.getByTestId('toggle').click()
  await expect(badge).toHaveText('stopped')
  await expect(badge).toHaveCSS('color', 'rgb(75, 85, 99)')
  expect(await portAccepts(aerie.demoPort)).toBe(false)
  for (const port of instancePorts) expect(await portAccepts(port)).toBe(false)
})

test('a start that fails shows why, in the card and in a toast', async ({ page, aerie }) => {
  const blocker = net.createServer().listen(aerie.demoPort, '127.0.0.1')
  await new Promise((r) => blocker.once('listening', r))
  try {
    await page.goto(aerie.url)
    const card = page.locator('[data-stack="demo"]')
    await card.getByTestId('toggle').click()
    await expect(card.getByTestId('state').first()).toHaveText('failed')
    await expect(card.getByTestId('stack-error')).toContainText(`port ${aerie.demoPort} on 127.0.0.1 is already in use by pid ${process.pid}`)
    await expect(card.getByTestId('stack-error')).toContainText('(stack field proxy.httpPort)')
    await expect(page.getByTestId('toast')).toContainText('Could not start Demo')
  } finally {
    blocker.close()
  }
})

test('log lines and request traces arrive live', async ({ page, aerie }) => {
  await page.goto(aerie.url)
  const card = page.locator('[data-stack="demo"]')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('running')
  await page.getByRole('link', { name: 'Logs', exact: true }).click()
  await expect(page.getByTestId('log-pane')).toContainText('demo-app instance 2 listening')

  await page.getByRole('link', { name: 'Traces', exact: true }).click()
  const response = await page.request.get(`http://127.0.0.1:${aerie.demoPort}/from-e2e`, { headers: { host: `demo.localhost:${aerie.demoPort}` } })
  expect(response.status()).toBe(200)
  await expect(page.getByTestId('trace-table')).toContainText('/from-e2e')

  await page.getByRole('link', { name: 'Stacks', exact: true }).click()
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('stopped')
})
