// `npm run bench`: the built-in proxy (in its own process, traces on and off) against direct access,
// nginx, Caddy and a plain Node pipe proxy on the same upstream, with autocannon (keep-alive), 1 KiB and
// 1 MiB responses. Every target runs in each of BENCH_ROUNDS rounds, in a rotating order, so drift
// (page cache, a warmer upstream, the other load on the machine) spreads over all of them; the tables
// give each figure's median and range. The checks' ratios are measured after the rounds, each from its
// two targets taking turns back to back (measurePairs). Loopback only, bounded in time. Writes
// bench/results/proxy-comparison.json and docs/bench.md (the README links it; nothing is copied by hand).
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { canConnect, findFreePort } from '../../src-main/core/supervisor/ports.js'
import { PAIRINGS, pairingKey, PIPE_TWO_WORKERS, renderBenchMarkdown, SIDE_BY_SIDE, summarise, type PairRuns, type Row, type SideBySideRuns } from './bench-report.js'
import { caddyConfig, nginxConfig } from './targets/configs.js'

/** Long enough for a stable figure on 2 cores, short enough for the whole table to take about a minute. */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5)
const WARMUP_S = 1
/** The fixed load for the CPU-per-request figure: below every proxy's maximum here. */
const FIXED_RATE = 10_000
const FIXED_RATE_S = 4
const CLOCK_TICKS = 100
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/** The checks' ratios: this many back-to-back pairs per comparison, each side PAIR_SECONDS of load. */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 12)
const PAIR_SECONDS = 2
const PAIR_WARMUP_S = 1
/** The side-by-side CPU comparisons: this many runs, each target at this rate while the other runs too. */
const SIDE_BY_SIDE_RUNS = 5
const SIDE_BY_SIDE_RATE = 4_000
const SIZES = [
  { name: '1 KiB', path: '/small', connections: 50 },
  { name: '1 MiB', path: '/large', connections: 10 },
]
/** Only the cache targets: an answer the cache keeps, asked again and again. */
const CACHE_HIT = { name: '1 KiB, cache hit', path: '/cached', connections: 50 }

const here = path.dirname(new URL(import.meta.url).pathname)
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aerie-bench-'))
// nginx's workers (nobody, when the bench runs as root) write proxy_cache's files below it.
fs.chmodSync(work, 0o755)
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


function rssOf(pid: number | undefined): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024)
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function processCpu(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** A process and its children (the pipe proxy's cluster workers). */
function treeCpuSeconds(pid: number): number {
  return childrenOf(pid).reduce((sum, child) => sum + processCpu(child), processCpu(pid))
}

function childrenOf(pid: number): number[] {
  return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)
}

/** nginx's master forks the worker that does the work, the bench's engine stand-in forks the built-in proxy's process: measure that one. */
function workerOf(pid: number): number {
  return childrenOf(pid)[0] ?? pid
}

/**
 * Proxy CPU per request at a fixed 1 KiB load: unlike req/s at full load, it does not depend on how the
 * 2 cores are shared between load generator, upstream and proxy, so it compares the proxies' own cost.
 */
async function cpuPerRequest(target: string, port: number, pid: number, tree = false): Promise<number> {
  const cpuSeconds = tree ? treeCpuSeconds : processCpu
  const before = cpuSeconds(pid)
  const r = await autocannon({ url: `http://127.0.0.1:${port}/small`, connections: 50, duration: FIXED_RATE_S, overallRate: FIXED_RATE })
  const micros = Math.round(((cpuSeconds(pid) - before) * 1e6) / r.requests.total)
  console.error(`${target.padEnd(28)} ${micros} µs of proxy CPU per request at ${FIXED_RATE} req/s`)
  return micros
}

/**
 * The q-quantile of the response times, in ms to the hundredth. autocannon's own percentiles come from
 * a histogram of whole milliseconds, in which a p99 of 4.1 ms against 4.9 ms reads 4 against 4 and
 * 4.9 against 5.0 reads 4 against 5 (1.25×): each response's own time (hrtime) is kept instead.
 */
function quantile(times: Float64Array, q: number): number {
  return times.length ? +times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2) : 0
}

/** One autocannon run of a target at one size. */
async function load(target: Target, size: Size, seconds: number): Promise<Row> {
  const times: number[] = []
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon({ url: `http://127.0.0.1:${target.port}${size.path}`, connections: size.connections, duration: seconds, pipelining: 1 }, (error, result) => (error ? reject(error) : resolve(result)))
    run.on('response', (_client, _status, _bytes, ms) => times.push(ms))
  })
  const sorted = Float64Array.from(times).sort()
  const row: Row = {
    target: target.name,
    size: size.name,
    requestsPerSecond: Math.round(r.requests.average),
    latencyP50Ms: quantile(sorted, 0.5),
    latencyP99Ms: quantile(sorted, 0.99),
    throughputMBps: Math.round(r.throughput.average / 1024 / 1024),
    errors: r.errors,
    non2xx: r.non2xx,
    rssMB: target.pid ? (target.tree ? [target.pid, ...childrenOf(target.pid)] : [target.pid]).reduce((sum, pid) => sum + (rssOf(pid) ?? 0), 0) : undefined,
  }
  console.error(`${target.name.padEnd(28)} ${size.name.padEnd(6)} ${String(row.requestsPerSecond).padStart(7)} req/s  p99 ${row.latencyP99Ms} ms  errors ${r.errors} non-2xx ${r.non2xx}`)
  return row
}

async function measure(target: Target): Promise<{ rows: Row[]; cpuMicros?: number }> {
  const rows: Row[] = []
  for (const size of target.sizes ?? SIZES) {
    // Warm-up first (JIT, connection pools), so every target is measured in its steady state.
    await autocannon({ url: `http://127.0.0.1:${target.port}${size.path}`, connections: size.connections, duration: WARMUP_S, pipelining: 1 })
    rows.push(await load(target, size, DURATION_S))
  }
  return { rows, cpuMicros: target.pid ? await cpuPerRequest(target.name, target.port, target.pid, target.tree) : undefined }
}

/**
 * The checks' comparisons, each as PAIRS back-to-back runs of its two targets, which one goes first
 * alternating. The comparisons take turns pair by pair (the first pair of each, then the second of
 * each, ...), so that a slow spell of the VM, which lasts minutes here, falls on a few pairs of every
 * comparison rather than on all the pairs of one; each pair's two runs still share the same moment.
 */
async function measurePairs(): Promise<PairRuns> {
  const runs: PairRuns = {}
  const comparisons = PAIRINGS.flatMap((pairing) => {
    const a = targets.find((t) => t.name === pairing.a)
    const b = targets.find((t) => t.name === pairing.b)
    const size = [...SIZES, CACHE_HIT].find((s) => s.name === pairing.size)!
    return a && b ? [{ key: pairingKey(pairing), a, b, size }] : []
  })
  // Each run after its own warm-up, as in the rounds: the checks compare steady states, not how 50 new connections ramp up.
  const steady = async (t: Target, size: Size) => {
    await autocannon({ url: `http://127.0.0.1:${t.port}${size.path}`, connections: size.connections, duration: PAIR_WARMUP_S, pipelining: 1 })
    return load(t, size, PAIR_SECONDS)
  }
  for (let i = 0; i < PAIRS; i++) {
    console.error(`pairs: turn ${i + 1} of ${PAIRS}`)
    for (const { key, a, b, size } of comparisons) {
      const list: [Row, Row][] = (runs[key] ??= [])
      if (i % 2) {
        const y = await steady(b, size)
        list.push([await steady(a, size), y])
      } else list.push([await steady(a, size), await steady(b, size)])
    }
  }
  return runs
}

/** Proxy CPU per request of two targets loaded at the same time, at the same fixed rate. */
async function measureSideBySide(): Promise<SideBySideRuns> {
  const runs: SideBySideRuns = {}
  for (const pairing of SIDE_BY_SIDE) {
    const pair = [pairing.a, pairing.b].map((name) => targets.find((t) => t.name === name))
    const size = [...SIZES, CACHE_HIT].find((s) => s.name === pairing.size)!
    if (!pair[0]?.pid || !pair[1]?.pid) continue
    const [a, b] = pair as (Target & { pid: number })[]
    console.error(`side by side: ${pairingKey(pairing)}`)
    const list: [number, number][] = (runs[pairingKey(pairing)] = [])
    for (let i = 0; i < SIDE_BY_SIDE_RUNS; i++) {
      const before = [processCpu(a.pid), processCpu(b.pid)]
      const load = (t: Target) => autocannon({ url: `http://127.0.0.1:${t.port}${size.path}`, connections: 25, duration: FIXED_RATE_S, overallRate: SIDE_BY_SIDE_RATE })
      const [ra, rb] = await Promise.all([load(a), load(b)])
      const micros = (pid: number, was: number, total: number) => Math.round(((processCpu(pid) - was) * 1e6) / total)
      list.push([micros(a.pid, before[0], ra.requests.total), micros(b.pid, before[1], rb.requests.total)])
      console.error(`  ${list.at(-1)![0]} µs / ${list.at(-1)![1]} µs`)
    }
  }
  return runs
}

type Size = (typeof SIZES)[number]

interface Target {
  name: string
  port: number
  /** What it is asked (default: SIZES). */
  sizes?: Size[]
  /** The process doing the proxying (CPU and RSS are read from it). */
  pid?: number
  /** Its CPU is its own and its children's (several worker processes). */
  tree?: boolean
}

const targets: Target[] = []
const samples: Row[] = []
const cpuSamples: Record<string, number[]> = {}
let pairs: PairRuns = {}
let sideBySide: SideBySideRuns = {}
try {
  const upstreamPort = await findFreePort()
  await startProcess(process.execPath, [path.join(here, 'targets', 'upstream.mjs')], { PORT: String(upstreamPort) }, upstreamPort)
  targets.push({ name: 'direct (no proxy)', port: upstreamPort })

  for (const traces of ['on', 'off']) {
    const port = await findFreePort()
    // `node --import tsx`, as `aerie serve` runs; the proxy itself is the process it forks.
    const child = await startProcess(process.execPath, ['--import', 'tsx', path.join(here, 'targets', 'builtin-proxy.ts')], { PORT: String(port), UPSTREAM_PORT: String(upstreamPort), TRACES: traces }, port)
    targets.push({ name: `aerie built-in, traces ${traces}`, port, pid: workerOf(child.pid!) })
  }

  {
    // With proxy.cache: the 1 KiB row is its miss path (nothing there may be stored), the cache-hit row its hits.
    const port = await findFreePort()
    const child = await startProcess(process.execPath, ['--import', 'tsx', path.join(here, 'targets', 'builtin-proxy.ts')], { PORT: String(port), UPSTREAM_PORT: String(upstreamPort), TRACES: 'on', CACHE: 'on' }, port)
    targets.push({ name: 'aerie built-in, cache on', port, pid: workerOf(child.pid!), sizes: [SIZES[0], CACHE_HIT] })
  }

  const pipePort = await findFreePort()
  const pipe = await startProcess(process.execPath, [path.join(here, 'targets', 'pipe-proxy.mjs')], { PORT: String(pipePort), UPSTREAM_PORT: String(upstreamPort) }, pipePort)
  targets.push({ name: 'plain Node pipe proxy', port: pipePort, pid: pipe.pid })
  const pipe2Port = await findFreePort()
  const pipe2 = await startProcess(process.execPath, [path.join(here, 'targets', 'pipe-proxy.mjs')], { PORT: String(pipe2Port), UPSTREAM_PORT: String(upstreamPort), WORKERS: '2' }, pipe2Port)
  targets.push({ name: PIPE_TWO_WORKERS, port: pipe2Port, pid: pipe2.pid, tree: true, sizes: [SIZES[0]] })

  if (has('nginx')) {
    const port = await findFreePort()
    const prefix = path.join(work, 'nginx')
    const conf = nginxConfig(prefix, port, upstreamPort)
    const child = await startProcess('nginx', ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'logs', 'error.log'), '-g', 'daemon off;'], {}, port)
    targets.push({ name: 'nginx', port, pid: workerOf(child.pid!) })
    const cachePort = await findFreePort()
    const cachePrefix = path.join(work, 'nginx-cache')
    const cacheChild = await startProcess('nginx', ['-p', cachePrefix, '-c', nginxConfig(cachePrefix, cachePort, upstreamPort, true), '-e', path.join(cachePrefix, 'logs', 'error.log'), '-g', 'daemon off;'], {}, cachePort)
    targets.push({ name: 'nginx, proxy_cache', port: cachePort, pid: workerOf(cacheChild.pid!), sizes: [CACHE_HIT] })
  } else console.error('nginx is not installed: its rows are missing')

  if (has('caddy')) {
    const port = await findFreePort()
    const dir = path.join(work, 'caddy')
    fs.mkdirSync(dir)
    const conf = caddyConfig(dir, port, upstreamPort, await findFreePort())
    const child = await startProcess('caddy', ['run', '--config', conf, '--adapter', 'caddyfile'], { XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }, port)
    targets.push({ name: 'caddy', port, pid: child.pid })
  } else console.error('caddy is not installed: its rows are missing')

  for (let round = 0; round < ROUNDS; round++) {
    console.error(`round ${round + 1} of ${ROUNDS}`)
    // Each round starts one target later: no target is always first (cold) or last.
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length]
      const { rows, cpuMicros } = await measure(target)
      samples.push(...rows)
      if (cpuMicros !== undefined) (cpuSamples[target.name] ??= []).push(cpuMicros)
    }
  }
  pairs = await measurePairs()
  sideBySide = await measureSideBySide()
} finally {
  for (const c of children) await stop(c)
  fs.rmSync(work, { recursive: true, force: true })
}

const report = summarise(samples, cpuSamples, [...SIZES, CACHE_HIT].map((s) => s.name), pairs, sideBySide)
const result = { date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, node: process.version, rounds: ROUNDS, durationSeconds: DURATION_S, warmupSeconds: WARMUP_S, fixedRate: FIXED_RATE, pairs: PAIRS, pairSeconds: PAIR_SECONDS, sideBySideRate: SIDE_BY_SIDE_RATE, ...report, samples, pairRuns: pairs, sideBySideRuns: sideBySide }
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync('bench/results/proxy-comparison.json', JSON.stringify(result, null, 2) + '\n')
const markdown = renderBenchMarkdown(result)
fs.writeFileSync('docs/bench.md', markdown)
console.log(markdown)
