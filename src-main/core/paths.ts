import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where Aerie keeps its data: `AERIE_HOME` when set (every test sets it),
 * otherwise the platform's per-user data directory.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AERIE_HOME) return path.resolve(env.AERIE_HOME)
  const home = os.homedir()
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Aerie')
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Aerie')
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'aerie')
}

/** The project's root: the folder that holds package.json and resources/. */
export function projectRoot(): string {
  // Source runs from src-main/core/, the Electron bundle from out/main/: both are two levels below the root.
  const here = path.dirname(fileURLToPath(import.meta.url))
  return path.resolve(here, '..', '..')
}

/** resources/; in a packaged app its files are unpacked next to app.asar (see electron-builder.config.mjs). */
export function resourcesDir(): string {
  return process.env.AERIE_RESOURCES ?? path.join(projectRoot(), 'resources').replace(/app\.asar([\\/])/, 'app.asar.unpacked$1')
}

export function rendererDir(): string {
  return path.join(projectRoot(), 'out', 'renderer')
}
