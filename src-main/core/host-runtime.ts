/**
 * The one place where running inside Electron's main process differs from plain Node.
 *
 * - `{node}` in a stack's command means "a Node.js runtime". In plain Node that is
 *   `process.execPath`; in Electron, `process.execPath` is the Electron binary, which
 *   behaves as Node only with ELECTRON_RUN_AS_NODE=1.
 * - node-pty is an N-API addon, so the same build loads in both; nothing to switch here.
 */
export const isElectron = typeof process.versions.electron === 'string'

export function nodeRuntime(): { command: string; env: Record<string, string> } {
  return isElectron
    ? { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } }
    : { command: process.execPath, env: {} }
}
