// `npm run bench`: how long `aerie --help` and `aerie list` take from the built CLI, against `node -e 0`
// in the same run (Node's own start-up), each run ROUNDS times in turn; medians and ranges. Builds
// first, so that bin/aerie.js runs out/main/cli.js and not the sources. Writes bench/results/cli.json
// and docs/bench-cli.md (the README links it).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { tempHome } from '../support/temp-home.js'

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 15)
const GOAL_MS = 300

execFileSync('npx', ['electron-vite', 'build'], { stdio: 'ignore' })
const home = tempHome('aerie-bench-cli-')
// A data directory with a stack in it, as a user's has (the first engine run writes the demo stack).
const env = { ...process.env, AERIE_HOME: home.dir, NO_COLOR: '1' }
const bin = path.resolve('bin/aerie.js')
execFileSync(process.execPath, ['--import', 'tsx', '-e', `import('${path.resolve('src-main/core/engine.ts')}').then(async ({ Engine }) => { const e = new Engine({ dataDir: ${JSON.stringify(home.dir)} }); await e.init(); await e.shutdown() })`], { env })

const commands: Record<string, string[]> = { 'node -e 0': ['-e', '0'], 'aerie --help': [bin, '--help'], 'aerie list': [bin, 'list'] }
const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]))
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const t = performance.now()
      execFileSync(process.execPath, args, { env, stdio: 'ignore' })
      times[name].push(+(performance.now() - t).toFixed(1))
    }
  }
} finally {
  home.cleanup()
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : +((s[s.length / 2 - 1] + s[s.length / 2]) / 2).toFixed(1)
}
const rows = Object.entries(times).map(([name, xs]) => ({ name, medianMs: median(xs), minMs: Math.min(...xs), maxMs: Math.max(...xs) }))
const result = { date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, node: process.version, rounds: ROUNDS, goalMs: GOAL_MS, rows }
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync('bench/results/cli.json', JSON.stringify(result, null, 2) + '\n')
const markdown = `<!-- Written by test/bench/cli-startup.ts (npm run bench); do not edit by hand. -->
# CLI start-up

${result.date.slice(0, 10)}, ${result.machine}, Node ${result.node}; each command ${ROUNDS} times in turn, wall time from spawn to exit.

| command | median | range | goal | met? |
|---|---|---|---|---|
${rows.map((r) => `| \`${r.name}\` | ${r.medianMs} ms | ${r.minMs}–${r.maxMs} ms | ${r.name === 'node -e 0' ? '—' : `< ${GOAL_MS} ms`} | ${r.name === 'node -e 0' ? '—' : r.medianMs < GOAL_MS ? 'yes' : 'no'} |`).join('\n')}

\`aerie list\` reads the stack files of a data directory with one stack, no engine running.
`
fs.writeFileSync('docs/bench-cli.md', markdown)
console.log(markdown)
