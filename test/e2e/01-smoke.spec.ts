import { expect, test } from './fixtures.js'

test('smoke: the UI loads from aerie serve and lists the demo stack', async ({ page, aerie }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(aerie.url)
  await expect(page.getByRole('heading', { name: 'Stacks', level: 1 })).toBeVisible()
  const card = page.locator('[data-stack="demo"]')
  await expect(card.getByRole('heading', { name: 'Demo', exact: true })).toBeVisible()
  await expect(card.getByTestId('state').first()).toHaveText('stopped')
  // The token leaves the address bar once the page has it.
  expect(page.url()).not.toContain('token=')
  expect(errors).toEqual([])
})

test('the UI refuses to work without the token', async ({ page, aerie }) => {
  await page.goto(`${aerie.origin}/`)
  await expect(page.locator('[data-stack="demo"]')).toHaveCount(0)
  await expect(page.getByTestId('unauthorized')).toContainText('needs the address that aerie serve printed')

  await page.goto(`${aerie.origin}/?token=wrong-token-0123456789abcdef`)
  await expect(page.getByTestId('unauthorized')).toBeVisible()
  await expect(page.locator('[data-stack="demo"]')).toHaveCount(0)
})

