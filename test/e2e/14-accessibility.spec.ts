import { AxeBuilder } from '@axe-core/playwright'
import { expect, test } from './fixtures.js'

const VIEWS = [
  { name: 'Stacks', key: 'Alt+1', ready: 'new-stack' },
  { name: 'Logs', key: 'Alt+2', ready: 'log-pane' },
  { name: 'Traces', key: 'Alt+3', ready: 'trace-count' },
  { name: 'Certificates', key: 'Alt+4', ready: 'ca-card' },
]

for (const scheme of ['light', 'dark'] as const) {
  test(`axe-core finds no serious or critical violation on any view (${scheme})`, async ({ page, aerie }) => {
    await page.emulateMedia({ colorScheme: scheme })
    await page.goto(aerie.url)
    const found: string[] = []
    for (const view of [...VIEWS, { name: 'Stack editor', key: 'n', ready: 'save' }]) {
      await page.keyboard.press(view.key)
      await expect(page.getByTestId(view.ready).first()).toBeVisible()
      const { violations } = await new AxeBuilder({ page }).analyze()
      for (const v of violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'))
        found.push(`${view.name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
      if (view.key === 'n') await page.goBack()
    }
    expect(found).toEqual([])
  })
}

test('every view is reached and worked with the keyboard alone', async ({ page, aerie }) => {
  await page.goto(aerie.url)
  // The sidebar links take focus in order, with a visible ring, and Enter opens their view.
  const names: string[] = []
  for (let i = 0; i < 12 && names.length < VIEWS.length; i++) {
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: { textContent: string; closest(s: string): unknown } | null } }).document.activeElement
      return el?.closest('nav') ? el.textContent?.trim() : undefined
    })
    if (focused && !names.includes(focused)) names.push(focused)
  }
  expect(names).toEqual(VIEWS.map((v) => v.name))
  for (const view of VIEWS) {
    await page.getByRole('link', { name: view.name, exact: true }).focus()
    await page.keyboard.press('Enter')
    await expect(page).toHaveTitle(`${view.name} · Aerie`)
    await expect(page.getByTestId(view.ready).first()).toBeVisible()
  }
  // The demo stack, started from the keyboard, answers one request: then Logs and Traces have something to walk.
  await page.keyboard.press('Alt+1')
  const card = page.locator('[data-stack="demo"]')
  await card.getByTestId('toggle').focus()
  await page.keyboard.press('Enter')
  await expect(card.getByTestId('state').first()).toHaveText('running', { timeout: 30_000 })
  await page.request.get(`http://127.0.0.1:${aerie.demoPort}/keyboard`, { headers: { host: 'demo.localhost' } })
  // Logs (the demo's processes have written): the view tabs are one tab stop, moved along with the arrow keys.
  await page.keyboard.press('Alt+2')
  await page.getByRole('tab', { name: 'All processes' }).focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByRole('tab', { selected: true })).not.toHaveText('All processes')
  await page.keyboard.press('ArrowLeft')
  await expect(page.getByRole('tab', { selected: true })).toHaveText('All processes')
  // Traces: a row is reached with Tab and opened with Enter.
  await page.keyboard.press('Alt+3')
  const row = page.locator('[data-path="/keyboard"]')
  await expect(row).toBeVisible()
  await row.focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('trace-detail')).toContainText('GET /keyboard')
  await page.keyboard.press('Alt+1')
  await card.getByTestId('toggle').focus()
  await page.keyboard.press('Enter')
  await expect(card.getByTestId('state').first()).toHaveText('stopped', { timeout: 30_000 })
})
