import { afterAll, beforeAll } from 'vitest'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { tempHome } from './temp-home.js'

/** A real engine in `dataDir` whose demo stack (created on this first run) listens on a free port. */
export async function engineWithDemo(dataDir: string, options: { now?: () => Date } = {}): Promise<{ engine: Engine; demoPort: number }> {
  const demoPort = await findFreePort()
  process.env.AERIE_DEMO_PORT = String(demoPort)
  try {
    const engine = new Engine({ dataDir, now: options.now })
    await engine.init()
    return { engine, demoPort }
  } finally {
    delete process.env.AERIE_DEMO_PORT
  }
}

/**
 * For a describe block: a real engine with its demo stack in a fresh home, started before the block's
 * tests and shut down (home removed) after them. Read `engine` and `demoPort` inside the tests.
 */
export function demoEngineSuite(): { engine: Engine; demoPort: number; home: { dir: string } } {
  const home = tempHome()
  const suite = { engine: undefined as unknown as Engine, demoPort: 0, home }
  beforeAll(async () => {
    Object.assign(suite, await engineWithDemo(home.dir))
  })
  afterAll(async () => {
    await suite.engine?.shutdown()
    home.cleanup()
  })
  return suite
}
