import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { writeFileAtomic } from '../core/atomic-file.js'
import { dataLayout } from '../core/data-layout.js'

/**
 * The headless UI's access token, kept (mode 0600) in the data directory so that an open
 * browser tab reconnects after `aerie serve` restarts; `aerie serve --new-token` replaces it.
 */
export async function uiToken(dataDir: string, renew = false): Promise<string> {
  const file = dataLayout(dataDir).uiToken
  if (!renew) {
    const existing = (await fs.readFile(file, 'utf8').catch(() => '')).trim()
    if (/^[A-Za-z0-9_-]{32,}$/.test(existing)) return existing
  }
  const token = randomBytes(24).toString('base64url')
  await writeFileAtomic(file, `${token}\n`, 0o600)
  return token
}
