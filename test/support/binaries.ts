import { execFileSync } from 'node:child_process'

/**
 * The path of `name` on PATH, or undefined. A test that needs a missing binary skips
 * with a printed reason, except under CI=true, where a missing binary is a failure:
 * CI installs everything, so CI skips nothing.
 */
export function requireBinary(name: string): string | undefined {
  let found: string | undefined
  try {
    found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
  } catch {
    found = undefined
  }
  if (!found) {
    if (process.env.CI === 'true') throw new Error(`${name} is not on PATH, and CI must not skip tests: install it in .ci/run`)
    console.warn(`skipping tests that need ${name}: it is not on PATH`)
  }
  return found
}
