import { Engine } from '../core/engine.js'
import type { EngineFace } from '../core/engine-lock.js'
import { dataDir, rendererDir } from '../core/paths.js'
import { startHeadlessServer, type HeadlessServer } from '../server/headless-server.js'
import { uiToken } from '../server/ui-token.js'
import { onShutdownSignal } from './shutdown.js'

/**
 * An engine run by this CLI process (`serve`, or a foreground `start`), reachable by other
 * `aerie` commands through its loopback server and lock file, and stopped cleanly on a signal.
 */
export async function hostEngine(options: { port: number; face: EngineFace; newToken?: boolean; logBufferLines?: number; onSignal?: (signal: string) => void }): Promise<{ engine: Engine; server: HeadlessServer; dir: string; close: () => Promise<void> }> {
  const dir = dataDir()
  const engine = new Engine({ dataDir: dir, face: options.face, logBufferLines: options.logBufferLines })
  await engine.init() // refuses (EngineBusyError) when another engine holds the data directory
  let server: HeadlessServer
  try {
    server = await startHeadlessServer({ engine, rendererDir: rendererDir(), port: options.port, token: await uiToken(dir, options.newToken) })
    await engine.publish({ port: server.port, token: server.token })
  } catch (err) {
    await engine.shutdown()
    throw err
  }
  const close = async () => {
    await engine.shutdown()
    await server.close()
  }
  onShutdownSignal(async (signal) => {
    options.onSignal?.(signal)
    await close()
  })
  return { engine, server, dir, close }
}
