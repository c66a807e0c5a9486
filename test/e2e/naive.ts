import type { Locator } from '@playwright/test'

/** Picks an option of a Naive UI select (it is not a native <select>): opens it and clicks the option whose label starts with `label`. */
export async function choose(select: Locator, label: string): Promise<void> {
  await select.click()
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  await select.page().locator('.n-base-select-menu .n-base-select-option').filter({ hasText: new RegExp(`^\\s*${escaped}`) }).first().click()
}

/** The option labels a Naive UI select offers, read while it is open, then closed again. */
export async function optionLabels(select: Locator): Promise<string[]> {
  await select.click()
  const options = select.page().locator('.n-base-select-menu .n-base-select-option')
  await options.first().waitFor()
  const labels = (await options.allTextContents()).map((t) => t.trim())
  await select.page().keyboard.press('Escape')
  return labels
}
