import { Engine } from '../core/engine.js'
import { readEngineLock, removeEngineLock, writeEngineLock, type EngineLock } from '../core/engine-lock.js'
import { dataDir, rendererDir } from '../core/paths.js'
import { startHeadlessServer, type HeadlessServer } from '../server/headless-server.js'
import { uiToken } from '../server/ui-token.js'
import { onShutdownSignal } from './shutdown.js'

/**
 * An engine run by this CLI process (`serve`, or a foreground `start`), reachable by other
 * `aerie` commands through its loopback server and lock file, and stopped cleanly on a signal.
 */
export async function hostEngine(options: { port: number; face: EngineLock['face']; newToken?: boolean; onSignal?: (signal: string) => void }): Promise<{ engine: Engine; server: HeadlessServer; dir: string; close: () => Promise<void> }> {
  const dir = dataDir()
  const existing = await readEngineLock(dir)
  if (existing) throw new Error(`an Aerie engine is already running for ${dir} (pid ${existing.pid}, http://127.0.0.1:${existing.port}/); use it or stop it first`)
  const engine = new Engine({ dataDir: dir })
  await engine.init()
  const server = await startHeadlessServer({ engine, rendererDir: rendererDir(), port: options.port, token: await uiToken(dir, options.newToken) })
  await writeEngineLock(dir, { pid: process.pid, port: server.port, token: server.token, face: options.face, startedAt: new Date().toISOString() })
  const close = async () => {
    await engine.shutdown()
    await server.close()
    await removeEngineLock(dir)
  }
  onShutdownSignal(async (signal) => {
    options.onSignal?.(signal)
    await close()
  })
  return { engine, server, dir, close }
}
