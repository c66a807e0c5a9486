import path from 'node:path'

/**
 * Where a test writes a screenshot: docs/screenshots/ when AERIE_SCREENSHOTS=1 (to refresh the
 * committed ones), otherwise test-results/, so that a test run leaves the work tree clean.
 */
export function screenshotPath(name: string): string {
  return process.env.AERIE_SCREENSHOTS === '1' ? path.join('docs', 'screenshots', name) : path.join('test-results', 'screenshots', name)
}
