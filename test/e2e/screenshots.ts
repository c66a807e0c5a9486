import path from 'node:path'
import type { Locator, Page } from '@playwright/test'

/**
 * Where a test writes a screenshot: docs/screenshots/ when AERIE_SCREENSHOTS=1 (to refresh the
 * committed ones), otherwise test-results/, so that a test run leaves the work tree clean.
 */
export function screenshotPath(name: string): string {
  return process.env.AERIE_SCREENSHOTS === '1' ? path.join('docs', 'screenshots', name) : path.join('test-results', 'screenshots', name)
}

/** A screenshot of the page (or one element) as it settles: no toasts, no pointer hover, transitions finished. */
export async function snap(target: Page | Locator, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const page = 'mouse' in target ? target : target.page()
  // A toast may fade out by itself between finding and clicking its close button.
  for (const close of await page.getByTestId('toast').getByRole('button', { name: 'close' }).all()) await close.click().catch(() => undefined)
  await page.mouse.move(0, 0)
  await target.screenshot({ path: screenshotPath(name), animations: 'disabled', ...options })
}
