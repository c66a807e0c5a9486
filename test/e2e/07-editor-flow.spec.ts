import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { expect, invoke, test } from './fixtures.js'
import { snap } from './screenshots.js'

test('create a stack from the form (a bad port first), start it, see its logs and traces, open a trace, stop it', async ({ page, aerie }) => {
  const port = await findFreePort()
  await page.goto(aerie.url)
  await page.getByTestId('new-stack').click()
  await expect(page.getByRole('heading', { name: 'New stack' })).toBeVisible()

  const general = page.getByRole('group', { name: 'Stack', exact: true })
  const app = page.getByRole('group', { name: 'App server 1' })
  await general.getByLabel('Name', { exact: true }).fill('Orders')
  await expect(general.getByLabel('Id')).toHaveValue('orders')
  await general.getByLabel('Host names').fill('orders.localhost')
  await general.page().getByLabel('HTTP port', { exact: true }).fill('99999')
  await expect(page.locator('[data-error-for="httpPort"]')).toHaveText('must be between 1 and 65535')
  // The field says it is invalid, and which text says why.
  await expect(page.getByLabel('HTTP port', { exact: true })).toHaveAttribute('aria-invalid', 'true')
  await expect(page.getByLabel('HTTP port', { exact: true })).toHaveAccessibleDescription('must be between 1 and 65535')
  await app.getByLabel('Command', { exact: true }).fill('{node}')
  await app.getByLabel('Arguments', { exact: true }).fill('{resources}/demo-app/server.mjs')
  await expect(page.getByTestId('save')).toBeDisabled()
  await expect(page.getByTestId('problem-count')).toHaveText('1 problem to fix before saving')
  await snap(page, 'stack-editor-error.png', { fullPage: true })

  await general.page().getByLabel('HTTP port', { exact: true }).fill(String(port))
  await expect(page.locator('[data-error-for="httpPort"]')).toHaveCount(0)
  await expect(page.getByLabel('HTTP port', { exact: true })).toHaveAttribute('aria-invalid', 'false')
  await app.getByLabel('Instances', { exact: true }).fill('2')
  await page.getByTestId('save').click()

  const card = page.locator('[data-stack="orders"]')
  await expect(card).toBeVisible()
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('running')

  await page.keyboard.press('Alt+2')
  await expect(page.getByTestId('log-pane')).toContainText('demo-app instance 2 listening')

  for (let i = 0; i < 3; i++) {
    const res = await page.request.get(`http://127.0.0.1:${port}/orders/${i}`, { headers: { host: `orders.localhost:${port}`, authorization: 'Bearer secret-token' } })
    expect(res.status()).toBe(200)
  }
  await page.keyboard.press('Alt+3')
  // The view loads lazily: "/" finds the filter only once it is there.
  await expect(page.getByTestId('trace-table')).toBeVisible()
  await page.keyboard.press('/')
  await page.keyboard.type('orders/2')
  await expect(page.getByTestId('trace-count')).toHaveText(/^1 of \d+ requests$/)
  const row = page.locator('[data-path="/orders/2"]')
  await expect(row).toBeVisible()
  await row.click()
  const detail = page.getByTestId('trace-detail')
  await expect(detail).toContainText('GET /orders/2')
  await expect(detail).toContainText('Bearer ***')
  await expect(detail.getByTestId('waterfall')).toContainText('Waiting (time to first byte)')
  await expect(detail.getByTestId('trace-logs')).toContainText('/orders/2')
  await snap(page, 'traces-detail.png')

  await page.keyboard.press('Alt+1')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('stopped')

  await card.getByTestId('edit').click()
  await page.getByTestId('delete').click()
  await page.getByTestId('confirm-delete').click()
  await expect(page.getByTestId('toast').filter({ hasText: 'Deleted Orders' })).toBeVisible()
  await expect(page.locator('[data-stack="orders"]')).toHaveCount(0)
})

test('a new stack whose id is taken is refused at the Id field, and the existing stack is untouched', async ({ page, aerie }) => {
  await page.goto(aerie.url)
  await page.getByTestId('new-stack').click()
  const general = page.getByRole('group', { name: 'Stack', exact: true })
  const app = page.getByRole('group', { name: 'App server 1' })
  await general.getByLabel('Name', { exact: true }).fill('Demo')
  await expect(general.getByLabel('Id')).toHaveValue('demo')
  await general.getByLabel('Host names').fill('other.localhost')
  await general.page().getByLabel('HTTP port', { exact: true }).fill(String(await findFreePort()))
  await app.getByLabel('Command', { exact: true }).fill('{node}')
  await app.getByLabel('Arguments', { exact: true }).fill('{resources}/demo-app/server.mjs')
  await page.getByTestId('save').click()
  await expect(page.locator('[data-error-for="id"]')).toContainText('"demo" is taken by another stack; pick another id, e.g. "demo-2"')
  await snap(page, 'stack-editor-id-taken.png', { fullPage: true })
  await page.keyboard.press('Alt+1')
  await expect(page.locator('[data-stack="demo"]')).toContainText('demo.localhost')
})

test('saving from the editor without a change gives back the stack byte for byte: quoted arguments, padded values, readiness it does not show', async ({ page, aerie, request }) => {
  const stack = {
    id: 'lossless',
    name: 'Lossless',
    hostnames: ['lossless.localhost'],
    appServers: [{ name: 'web', command: '{node}', args: ['-e', "console.log('a b')", '--urls=http://a,http://b'], env: { PADDED: '  two words  ' }, readiness: { kind: 'http', path: '/', expectStatus: 204, timeoutMs: 90_000 } }],
    routes: [{ appServer: 'web' }],
    proxy: { httpPort: await findFreePort() },
  }
  const saved = ((await invoke(request, aerie, 'stack:save', { stack, create: true })) as { stack: unknown }).stack
  await page.goto(aerie.url)
  await page.locator('[data-stack="lossless"]').getByTestId('edit').click()
  await expect(page.getByTestId('args-list').locator('li')).toHaveText(['-e', "console.log('a b')", '--urls=http://a,http://b'])
  await page.getByTestId('save').click()
  await expect(page.locator('[data-stack="lossless"]')).toBeVisible()
  expect(((await invoke(request, aerie, 'stack:get', { id: 'lossless' })) as { stack: unknown }).stack).toEqual(saved)
})
