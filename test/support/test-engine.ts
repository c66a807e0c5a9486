import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'

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
