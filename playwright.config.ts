import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions } from './test/e2e/chromium.js'

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? 'list' : [['list']],
  use: {
    launchOptions: chromiumLaunchOptions(),
    viewport: { width: 1200, height: 760 },
    trace: 'off',
  },
})
