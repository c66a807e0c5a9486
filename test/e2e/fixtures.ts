import { spawn } from 'node:child_process'
import path from 'node:path'
import fs from 'node:fs'
import { test as base, type APIRequestContext } from '@playwright/test'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { tempHome } from '../support/temp-home.js'

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
      // The test runner's FORCE_COLOR would reach every supervised process; a user's shell does not set it.
      const { FORCE_COLOR: _ignored, ...env } = process.env
      const child = spawn(process.execPath, [path.resolve('bin/aerie.js'), 'serve', '--quiet'], {
        env: { ...env, HOME: userHome, AERIE_HOME: path.join(home.dir, 'data'), AERIE_DEMO_PORT: String(demoPort), NO_COLOR: '1' },
      })
      let output = ''
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`aerie serve did not start:\n${output}`)), 30_000)
        const onData = (d: Buffer) => {
          output += d
          const match = /serving its UI at (\S+)/.exec(output)
          if (match) {
            clearTimeout(timer)
            resolve(match[1])
          }
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.on('exit', (code) => reject(new Error(`aerie serve exited with ${code}:\n${output}`)))
      })
      await use({ url, origin: new URL(url).origin, demoPort, home: path.join(home.dir, 'data'), userHome })
      const exited = new Promise((r) => child.on('exit', r))
      child.kill('SIGTERM')
      await exited
      home.cleanup()
    },
    { scope: 'worker' },
  ],
})

export { expect } from '@playwright/test'
