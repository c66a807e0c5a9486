import type { LaunchOptions } from '@playwright/test'
import { requireBinary } from '../support/binaries.js'

/** Debian's Chromium with the flags this machine needs (no downloaded browser, no background network). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic']

export function chromiumLaunchOptions(): LaunchOptions {
  const executablePath = process.env.AERIE_CHROMIUM ?? requireBinary('chromium')
  return { executablePath, args: CHROMIUM_ARGS }
}
