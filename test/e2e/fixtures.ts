import path from 'node:path'
import fs from 'node:fs'
import { test as base, type APIRequestContext } from '@playwright/test'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { tempHome } from '../support/temp-home.js'
import { startServe, stopServe } from './aerie-serve.js'

export interface AerieServer {
  url: string
  origin: string
  demoPort: number
  home: string
  /** The HOME that `aerie serve` sees: trust commands write into its NSS database, never the real one. */
  userHome: string
}

/** Calls a contract command over the headless server's HTTP API, as the CLI does. */
export async function invoke(request: APIRequestContext, aerie: AerieServer, name: string, body: unknown): Promise<unknown> {
  const res = await request.post(`${aerie.origin}/api/invoke/${name}`, { headers: { authorization: `Bearer ${new URL(aerie.url).searchParams.get('token')}` }, data: body })
  const json = (await res.json()) as { ok: boolean; result?: unknown; error?: { message: string } }
  if (!json.ok) throw new Error(`${name} failed: ${json.error?.message}`)
  return json.result
}

/** A real `aerie serve` in a temp AERIE_HOME, started once per worker and stopped with SIGTERM. */
export const test = base.extend<object, { aerie: AerieServer }>({
  aerie: [
    async ({}, use) => {
      const home = tempHome('aerie-e2e-')
      const userHome = path.join(home.dir, 'user-home')
      fs.mkdirSync(userHome)
      const demoPort = await findFreePort()
      const { child, url } = await startServe({ HOME: userHome, AERIE_HOME: path.join(home.dir, 'data'), AERIE_DEMO_PORT: String(demoPort) })
      await use({ url, origin: new URL(url).origin, demoPort, home: path.join(home.dir, 'data'), userHome })
      await stopServe(child)
      home.cleanup()
    },
    { scope: 'worker' },
  ],
})

export { expect } from '@playwright/test'
