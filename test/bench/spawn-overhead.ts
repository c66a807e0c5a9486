// `npm run bench`: what Aerie adds between spawn and ready, against the same app started by a
// plain child_process.spawn and probed the same way (TCP connect, 5 ms apart) in the same run.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { ManagedProcess } from '../../src-main/core/supervisor/managed-process.js'
import { canConnect, findFreePort } from '../../src-main/core/supervisor/ports.js'

/** Enough runs for a stable median on 2 cores, few enough to finish in seconds. */
const RUNS = 15
const app = path.resolve('resources/demo-app/server.mjs')

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function plainSpawn(): Promise<number> {
  const port = await findFreePort()
  const t = performance.now()
  const child = spawn(process.execPath, [app], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' })
  while (!(await canConnect(port, '127.0.0.1', 1000))) await new Promise((r) => setTimeout(r, 5))
  const elapsed = performance.now() - t
  const exited = new Promise((r) => child.on('exit', r))
  child.kill('SIGTERM')
  await exited
  return elapsed
}

async function aerieSpawn(): Promise<number> {
  const port = await findFreePort()
  const p = new ManagedProcess({
    id: 'bench/app#1',
    command: process.execPath,
    args: [app],
    cwd: process.cwd(),
    env: { ...(process.env as Record<string, string>), PORT: String(port) },
    port,
    readiness: { kind: 'tcp', path: '/', expectStatus: 200, timeoutMs: 10_000 },
  })
  const t = performance.now()
  await p.start()
  const elapsed = performance.now() - t
  await p.stop()
  return elapsed
}

const plain: number[] = []
const aerie: number[] = []
for (let i = 0; i < RUNS; i++) {
  plain.push(await plainSpawn())
  aerie.push(await aerieSpawn())
}
console.log(
  JSON.stringify(
    {
      runs: RUNS,
      plainSpawnToReadyMedianMs: Math.round(median(plain)),
      aerieSpawnToReadyMedianMs: Math.round(median(aerie)),
      aerieOverheadMedianMs: Math.round(median(aerie) - median(plain)),
    },
    null,
    2,
  ),
)
