import { requireBinary } from '../support/binaries.js'
import { expect, test } from './fixtures.js'
import { choose, optionLabels } from './naive.js'
import { snap } from './screenshots.js'

const nginx = requireBinary('nginx')

test('a running stack switches from the built-in proxy to nginx and back, with traces from nginx’s access log', async ({ page, aerie }) => {
  test.skip(!nginx, 'nginx is not installed')
  await page.goto(aerie.url)
  const card = page.locator('[data-stack="demo"]')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('running')

  const picker = card.getByTestId('proxy-kind')
  expect(await optionLabels(picker)).toContainEqual(expect.stringMatching(/^nginx 1\.\d+/))
  await choose(picker, 'nginx')
  await expect(page.getByTestId('toast').filter({ hasText: 'now runs behind nginx' })).toBeVisible()
  await expect(card.getByTestId('state').first()).toHaveText('running')

  for (let i = 0; i < 4; i++) {
    const res = await page.request.get(`http://127.0.0.1:${aerie.demoPort}/via-nginx/${i}`, { headers: { host: `demo.localhost:${aerie.demoPort}` } })
    expect(res.status()).toBe(200)
  }
  await snap(card, 'stack-on-nginx.png')

  await page.getByRole('link', { name: 'Traces', exact: true }).click()
  const table = page.getByTestId('trace-table')
  await expect(table).toContainText('/via-nginx/3')
  await expect(page.locator('[data-path="/via-nginx/3"]')).toContainText(/web#[12]/)
  await snap(page, 'traces-from-nginx.png')

  await page.getByRole('link', { name: 'Stacks', exact: true }).click()
  await card.getByText('Export for production').click()
  await card.getByRole('button', { name: 'Export', exact: true }).click()
  await expect(card.getByTestId('export-text')).toContainText('proxy_set_header   X-Forwarded-Proto $scheme;')

  await choose(card.getByTestId('proxy-kind'), 'Built-in')
  await expect(page.getByTestId('toast').filter({ hasText: 'now runs behind Built-in' })).toBeVisible()
  const back = await page.request.get(`http://127.0.0.1:${aerie.demoPort}/api/whoami`, { headers: { host: `demo.localhost:${aerie.demoPort}` } })
  expect(back.status()).toBe(200)
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('stopped')
})
