import { expect, test } from './fixtures.js'
import { snap } from './screenshots.js'

for (const scheme of ['light', 'dark'] as const) {
  test(`screenshots of every view in ${scheme} mode`, async ({ page, aerie }) => {
    await page.emulateMedia({ colorScheme: scheme })
    await page.goto(aerie.url)
    const card = page.locator('[data-stack="demo"]')
    await card.getByTestId('toggle').click()
    await expect(card.getByTestId('state').first()).toHaveText('running')
    for (let i = 0; i < 6; i++) await page.request.get(`http://127.0.0.1:${aerie.demoPort}/shop/items/${i}?page=${i}`, { headers: { host: `demo.localhost:${aerie.demoPort}`, cookie: 'session=abc' } })
    await page.request.get(`http://127.0.0.1:${aerie.demoPort}/missing`, { headers: { host: 'other.localhost' } })
    const shot = (name: string) => snap(page, `${name}-${scheme}.png`)
    await shot('stacks')

    await card.getByTestId('edit').click()
    await page.getByLabel('HTTP port', { exact: true }).fill('0')
    await expect(page.locator('[data-error-for="httpPort"]')).toBeVisible()
    await shot('editor')
    await page.getByRole('link', { name: 'Cancel' }).click()

    await page.keyboard.press('Alt+2')
    await expect(page.getByTestId('log-pane')).toContainText('/shop/items/5')
    await shot('logs')

    await page.keyboard.press('Alt+3')
    await page.locator(`[data-path="/shop/items/5?page=5"]`).first().click()
    await expect(page.getByTestId('trace-detail')).toBeVisible()
    await shot('traces')

    await page.keyboard.press('Alt+1')
    await card.getByTestId('toggle').click()
    await expect(card.getByTestId('state').first()).toHaveText('stopped')
  })
}
