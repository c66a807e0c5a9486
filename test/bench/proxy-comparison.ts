// `npm run bench`: the built-in proxy against direct access, nginx, Caddy and a plain Node pipe proxy,
// in one run on the same upstream, with autocannon (keep-alive), 1 KiB and 1 MiB responses.
// Loopback only, bounded in time; results go to bench/results/proxy-comparison.json.
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { canConnect, findFreePort } from '../../src-main/core/supervisor/ports.js'
import { caddyConfig, nginxConfig } from './targets/configs.js'

/** Long enough for a stable figure on 2 cores, short enough for the whole table to take about a minute. */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5)
const WARMUP_S = 1
/** The fixed load for the CPU-per-request figure: below every proxy's maximum here. */
const FIXED_RATE = 10_000
const FIXED_RATE_S = 4
const CLOCK_TICKS = 100
/** Proxy CPU µs per request, each run's figure by target (the built-in proxy runs twice per traces setting). */
const cpuRuns: Record<string, number[]> = {}
const SIZES = [
  { name: '1 KiB', path: '/small', connections: 50 },
  { name: '1 MiB', path: '/large', connections: 10 },
]

const here = path.dirname(new URL(import.meta.url).pathname)
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aerie-bench-'))
const children: ChildProcess[] = []

function has(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`])
    return true
  } catch {
    return false
  }
}

async function startProcess(command: string, args: string[], env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)))
  child.once('exit', (code) => code && console.error(`${command} exited with ${code}: ${stderr}`))
  children.push(child)
  const deadline = Date.now() + 20_000
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${command} did not start listening on ${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return child
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

interface Row {
  target: string
  size: string
  requestsPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  throughputMBps: number
  errors: number
  non2xx: number
  rssMB?: number
}

function rssOf(pid: number | undefined): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024)
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** nginx's master forks the worker that does the work: measure that one. */
function workerOf(pid: number): number {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean)
  return children.length ? Number(children[0]) : pid
}

/**
 * Proxy CPU per request at a fixed 1 KiB load: unlike req/s at full load, it does not depend on how the
 * 2 cores are shared between load generator, upstream and proxy, so it compares the proxies' own cost.
 */
async function cpuPerRequest(target: string, port: number, pid: number): Promise<number> {
  const before = cpuSecondsOf(pid)
  const r = await autocannon({ url: `http://127.0.0.1:${port}/small`, connections: 50, duration: FIXED_RATE_S, overallRate: FIXED_RATE })
  const micros = Math.round(((cpuSecondsOf(pid) - before) * 1e6) / r.requests.total)
  console.error(`${target.padEnd(28)} ${micros} µs of proxy CPU per request at ${FIXED_RATE} req/s`)
  return micros
}

async function measure(target: string, port: number, pid?: number, cpuPid = pid): Promise<Row[]> {
  const rows: Row[] = []
  for (const size of SIZES) {
    // Warm-up first (JIT, connection pools), so every target is measured in its steady state.
    await autocannon({ url: `http://127.0.0.1:${port}${size.path}`, connections: size.connections, duration: WARMUP_S, pipelining: 1 })
    const r = await autocannon({ url: `http://127.0.0.1:${port}${size.path}`, connections: size.connections, duration: DURATION_S, pipelining: 1 })
    rows.push({
      target,
      size: size.name,
      requestsPerSecond: Math.round(r.requests.average),
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      throughputMBps: Math.round(r.throughput.average / 1024 / 1024),
      errors: r.errors,
      non2xx: r.non2xx,
      rssMB: rssOf(pid),
    })
    console.error(`${target.padEnd(28)} ${size.name.padEnd(6)} ${String(rows.at(-1)!.requestsPerSecond).padStart(7)} req/s  p99 ${r.latency.p99} ms  errors ${r.errors} non-2xx ${r.non2xx}`)
  }
  if (cpuPid !== undefined) {
    const micros = await cpuPerRequest(target, port, cpuPid)
    cpuRuns[target] = [...(cpuRuns[target] ?? []), micros]
  }
  return rows
}

/** The mean of repeated runs of one target and size. */
function averageOf(runs: Row[]): Row {
  const mean = (pick: (r: Row) => number) => Math.round(runs.reduce((sum, r) => sum + pick(r), 0) / runs.length)
  return {
    ...runs[0],
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    latencyP50Ms: mean((r) => r.latencyP50Ms),
    latencyP99Ms: mean((r) => r.latencyP99Ms),
    throughputMBps: mean((r) => r.throughputMBps),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    rssMB: Math.max(...runs.map((r) => r.rssMB ?? 0)) || undefined,
  }
}

const rows: Row[] = []
try {
  const upstreamPort = await findFreePort()
  await startProcess(process.execPath, [path.join(here, 'targets', 'upstream.mjs')], { PORT: String(upstreamPort) }, upstreamPort)
  rows.push(...(await measure('direct (no proxy)', upstreamPort)))

  // Off, on, on, off: the traces-on cost is a small difference, and this order cancels the drift
  // (warmer upstream, page cache) that would otherwise favour whichever runs second.
  const builtinRuns: Row[] = []
  for (const traces of ['off', 'on', 'on', 'off']) {
    const port = await findFreePort()
    // `node --import tsx`, as `aerie serve` runs: one process, whose RSS is the proxy's.
    const child = await startProcess(process.execPath, ['--import', 'tsx', path.join(here, 'targets', 'builtin-proxy.ts')], { PORT: String(port), UPSTREAM_PORT: String(upstreamPort), TRACES: traces }, port)
    builtinRuns.push(...(await measure(`aerie built-in, traces ${traces}`, port, child.pid)))
    await stop(child)
  }
  for (const traces of ['off', 'on']) for (const { name } of SIZES) rows.push(averageOf(builtinRuns.filter((r) => r.target === `aerie built-in, traces ${traces}` && r.size === name)))

  const pipePort = await findFreePort()
  const pipe = await startProcess(process.execPath, [path.join(here, 'targets', 'pipe-proxy.mjs')], { PORT: String(pipePort), UPSTREAM_PORT: String(upstreamPort) }, pipePort)
  rows.push(...(await measure('plain Node pipe proxy', pipePort, pipe.pid)))
  await stop(pipe)

  if (has('nginx')) {
    const port = await findFreePort()
    const prefix = path.join(work, 'nginx')
    const conf = nginxConfig(prefix, port, upstreamPort)
    const child = await startProcess('nginx', ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'logs', 'error.log'), '-g', 'daemon off;'], {}, port)
    rows.push(...(await measure('nginx', port, undefined, workerOf(child.pid!))))
    await stop(child)
  } else console.error('nginx is not installed: its rows are missing')

  if (has('caddy')) {
    const port = await findFreePort()
    const dir = path.join(work, 'caddy')
    fs.mkdirSync(dir)
    const conf = caddyConfig(dir, port, upstreamPort, await findFreePort())
    const child = await startProcess('caddy', ['run', '--config', conf, '--adapter', 'caddyfile'], { XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }, port)
    rows.push(...(await measure('caddy', port, undefined, child.pid)))
    await stop(child)
  } else console.error('caddy is not installed: its rows are missing')
} finally {
  for (const c of children) await stop(c)
  fs.rmSync(work, { recursive: true, force: true })
}

const find = (target: string, size: string) => rows.find((r) => r.target === target && r.size === size)
const ratios = SIZES.map(({ name }) => {
  const ours = find('aerie built-in, traces off', name)
  const on = find('aerie built-in, traces on', name)
  const nginx = find('nginx', name)
  return {
    size: name,
    builtinVsNginxThroughput: nginx && ours ? +(ours.requestsPerSecond / nginx.requestsPerSecond).toFixed(2) : undefined,
    builtinVsNginxP99: nginx && ours ? +(ours.latencyP99Ms / nginx.latencyP99Ms).toFixed(2) : undefined,
    tracesOnCostPercent: ours && on ? +((1 - on.requestsPerSecond / ours.requestsPerSecond) * 100).toFixed(1) : undefined,
  }
})
const cpuMicros = Object.fromEntries(Object.entries(cpuRuns).map(([target, runs]) => [target, Math.round(runs.reduce((a, b) => a + b, 0) / runs.length)]))
const cpu = (target: string) => cpuMicros[target]
const cpuRatios = {
  builtinVsNginx: cpu('nginx') ? +(cpu('aerie built-in, traces off') / cpu('nginx')).toFixed(2) : undefined,
  builtinVsPipe: +(cpu('aerie built-in, traces off') / cpu('plain Node pipe proxy')).toFixed(2),
  tracesOnCostPercent: +((cpu('aerie built-in, traces on') / cpu('aerie built-in, traces off') - 1) * 100).toFixed(1),
}

const result = { date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, node: process.version, durationSeconds: DURATION_S, warmupSeconds: WARMUP_S, rows, ratios, proxyCpuMicrosPerRequest: { fixedRate: FIXED_RATE, byTarget: cpuMicros, ratios: cpuRatios } }
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync('bench/results/proxy-comparison.json', JSON.stringify(result, null, 2) + '\n')
console.log('\n| target | size | req/s | p50 ms | p99 ms | MB/s | proxy RSS MB |\n|---|---|---:|---:|---:|---:|---:|')
for (const r of rows) console.log(`| ${r.target} | ${r.size} | ${r.requestsPerSecond} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.throughputMBps} | ${r.rssMB ?? ''} |`)
console.log('\nratios:', JSON.stringify(ratios))
console.log(`\n| target | proxy CPU µs per 1 KiB request at ${FIXED_RATE} req/s |\n|---|---:|`)
for (const [target, micros] of Object.entries(cpuMicros)) console.log(`| ${target} | ${micros} |`)
console.log('cpu ratios:', JSON.stringify(cpuRatios))
