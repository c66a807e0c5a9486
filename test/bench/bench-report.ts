// Turns the proxy bench's samples into medians, ranges and the pass/fail checks, and renders
// docs/bench.md from them. Pure functions: the bench writes whatever they return.

/** One autocannon run of one target and size. */
export interface Row {
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

export interface Spread {
  median: number
  min: number
  max: number
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median: +median.toFixed(2), min: sorted[0], max: sorted.at(-1)! }
}

export interface SummaryRow {
  target: string
  size: string
  requestsPerSecond: Spread
  latencyP99Ms: Spread
  throughputMBps: Spread
  errors: number
  non2xx: number
  rssMB?: number
}

export interface Check {
  what: string
  target: string
  measured: string
  pass: boolean
}

const BUILTIN = 'aerie built-in, traces on'
const BUILTIN_OFF = 'aerie built-in, traces off'
const BUILTIN_CACHE = 'aerie built-in, cache on'
const CACHE_HIT_SIZE = '1 KiB, cache hit'
const PIPE = 'plain Node pipe proxy'
export const PIPE_TWO_WORKERS = 'plain Node pipe proxy, 2 worker processes'

export function summarise(samples: Row[], cpuSamples: Record<string, number[]>, sizes: string[]) {
  const of = (target: string, size: string) => samples.filter((r) => r.target === target && r.size === size)
  const targets = [...new Set(samples.map((r) => r.target))]
  const summary: SummaryRow[] = sizes.flatMap((size) =>
    targets.filter((target) => of(target, size).length).map((target) => {
      const rows = of(target, size)
      const rss = Math.max(...rows.map((r) => r.rssMB ?? 0))
      return {
        target,
        size,
        requestsPerSecond: spread(rows.map((r) => r.requestsPerSecond)),
        latencyP99Ms: spread(rows.map((r) => r.latencyP99Ms)),
        throughputMBps: spread(rows.map((r) => r.throughputMBps)),
        errors: rows.reduce((n, r) => n + r.errors, 0),
        non2xx: rows.reduce((n, r) => n + r.non2xx, 0),
        rssMB: rss || undefined,
      }
    }),
  )
  const cpu = Object.fromEntries(Object.entries(cpuSamples).map(([t, v]) => [t, spread(v)]))
  /** One ratio per round (the same round's two rows), then their median and range: drift between rounds cancels. */
  const perRound = (a: string, b: string, size: string, pick: (r: Row) => number) => {
    const [x, y] = [of(a, size), of(b, size)]
    // A round whose reference measured nothing (a target that failed) gives no ratio, rather than Infinity.
    const ratios = x.slice(0, y.length).flatMap((r, i) => (pick(y[i]) > 0 ? [+(pick(r) / pick(y[i])).toFixed(3)] : []))
    return ratios.length ? spread(ratios) : undefined
  }
  const size = sizes[0]
  const vsNginx = perRound(BUILTIN, 'nginx', size, (r) => r.requestsPerSecond)
  const p99VsNginx = perRound(BUILTIN, 'nginx', size, (r) => r.latencyP99Ms)
  const vsPipe = perRound(BUILTIN, PIPE, size, (r) => r.requestsPerSecond)
  const twoWorkers = perRound(PIPE_TWO_WORKERS, PIPE, size, (r) => r.requestsPerSecond)
  const vsCaddy = perRound(BUILTIN, 'caddy', size, (r) => r.requestsPerSecond)
  const onVsOff = perRound(BUILTIN, BUILTIN_OFF, size, (r) => r.requestsPerSecond)
  const hitVsNginx = perRound(BUILTIN_CACHE, 'nginx, proxy_cache', CACHE_HIT_SIZE, (r) => r.requestsPerSecond)
  const missVsUncached = perRound(BUILTIN_CACHE, BUILTIN, size, (r) => r.requestsPerSecond)
  const range = (s: Spread | undefined, digits = 2) => (s ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : 'not measured')
  const checks: Check[] = [
    { what: `built-in (traces on) vs nginx, ${size} req/s`, target: '≥ 0.75×', measured: range(vsNginx), pass: (vsNginx?.median ?? 0) >= 0.75 },
    { what: 'built-in cache hit vs nginx proxy_cache hit, 1 KiB req/s', target: '≥ 0.8×', measured: range(hitVsNginx), pass: (hitVsNginx?.median ?? 0) >= 0.8 },
    { what: `a cache miss vs no cache, ${size} req/s (the miss path costs nothing extra)`, target: '≥ 0.95×', measured: range(missVsUncached), pass: (missVsUncached?.median ?? 0) >= 0.95 },
    { what: 'ahead of the plain Node pipe proxy', target: '> 1×', measured: range(vsPipe), pass: (vsPipe?.median ?? 0) > 1 },
    { what: 'ahead of Caddy', target: '> 1×', measured: range(vsCaddy), pass: (vsCaddy?.median ?? 0) > 1 },
    { what: `p99 latency vs nginx, ${size}`, target: '≤ 1.2×', measured: range(p99VsNginx), pass: (p99VsNginx?.median ?? Infinity) <= 1.2 },
    {
      what: 'throughput cost of traces',
      target: '≤ 5 %',
      measured: onVsOff ? `${((1 - onVsOff.median) * 100).toFixed(1)} % (${((1 - onVsOff.max) * 100).toFixed(1)}–${((1 - onVsOff.min) * 100).toFixed(1)} %)` : 'not measured',
      pass: onVsOff !== undefined && 1 - onVsOff.median <= 0.05,
    },
  ]
  return { summary, cpuMicrosPerRequest: cpu, checks, twoWorkers: twoWorkers && range(twoWorkers) }
}

export function renderBenchMarkdown(result: ReturnType<typeof summarise> & { date: string; machine: string; node: string; rounds: number; durationSeconds: number; warmupSeconds: number; fixedRate: number }): string {
  const r = (s: Spread, digits = 0) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
  const lines = [
    '# Proxy benchmark',
    '',
    `Written by \`npm run bench\` (test/bench/proxy-comparison.ts) on ${result.date.slice(0, 10)}: ${result.machine}, Node ${result.node}.`,
    `${result.rounds} rounds; in each, every target gets ${result.warmupSeconds} s of warm-up and ${result.durationSeconds} s of autocannon load per size (keep-alive; 50 connections at 1 KiB, 10 at 1 MiB), in an order that rotates by round.`,
    'Each cell is the median with the range over the rounds in brackets. The load generator, the upstream and the proxy share the machine\'s cores.',
    'The built-in proxy runs in its own process, from the build (out/main/proxy-host.js), as `aerie serve` and the app run it. "traces off" is a bench-only setting: that process still builds each trace and drops it before encoding it, so the row shows what sending traces to the engine, and the engine keeping them, costs (not what building them costs).',
    '',
    '| target | size | req/s | p99 ms | MB/s | proxy RSS MB | errors | non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...result.summary.map((s) => `| ${s.target} | ${s.size} | ${r(s.requestsPerSecond)} | ${r(s.latencyP99Ms)} | ${r(s.throughputMBps)} | ${s.rssMB ?? ''} | ${s.errors} | ${s.non2xx} |`),
    '',
    `Proxy CPU per 1 KiB request at a fixed ${result.fixedRate} req/s (user + system time of the proxying process, from /proc; steadier than req/s at full load):`,
    '',
    '| target | µs per request |',
    '|---|---:|',
    ...Object.entries(result.cpuMicrosPerRequest).map(([t, s]) => `| ${t} | ${r(s)} |`),
    '',
    `One process per core: the plain Node pipe proxy as two worker processes on one listening socket made ${result.twoWorkers ?? 'not measured'}× the requests/s of one (round by round), on ${result.machine.split(',')[0]} that the load generator and the upstream share.`,
    '',
    'Targets (from the hardened-proxy issue), ratios taken round by round:',
    '',
    '| check | target | measured | |',
    '|---|---|---|---|',
    ...result.checks.map((c) => `| ${c.what} | ${c.target} | ${c.measured} | ${c.pass ? 'met' : '**not met**'} |`),
    '',
  ]
  return lines.join('\n')
}
