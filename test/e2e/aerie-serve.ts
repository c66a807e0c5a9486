import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

/** How long `aerie serve` may take to print its URL (engine init, demo stack, listen). */
const SERVE_START_TIMEOUT_MS = 30_000

/**
 * Starts a real `aerie serve` with `env` added to this process's environment (minus the test
 * runner's FORCE_COLOR, which would reach every supervised process) and resolves with its URL.
 */
export function startServe(env: Record<string, string>, args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const { FORCE_COLOR: _ignored, ...base } = process.env
  const child = spawn(process.execPath, [path.resolve('bin/aerie.js'), 'serve', '--quiet', ...args], { env: { ...base, NO_COLOR: '1', ...env } })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aerie serve did not start:\n${output}`)), SERVE_START_TIMEOUT_MS)
    const onData = (d: Buffer) => {
      output += d
      const match = /serving its UI at (\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve({ child, url: match[1] })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`aerie serve exited with ${code}:\n${output}`))
    })
  })
}

/** SIGTERM, then waits for the exit (the engine stops every stack first). */
export async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}
