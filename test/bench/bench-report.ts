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
  return { median: +median.toFixed(4), min: sorted[0], max: sorted.at(-1)! }
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
const NGINX_CACHE = 'nginx, proxy_cache'
const SMALL = '1 KiB'
const CACHE_HIT_SIZE = '1 KiB, cache hit'
const PIPE = 'plain Node pipe proxy'
export const PIPE_TWO_WORKERS = 'plain Node pipe proxy, 2 worker processes'

/** Two targets the checks compare, asked the same size: the bench measures them in alternation (see PairRuns). */
export interface Pairing {
  a: string
  b: string
  size: string
}

/** The comparisons the checks need; each is measured as its own alternating series, not read off the rounds. */
export const PAIRINGS: Pairing[] = [
  { a: BUILTIN, b: 'nginx', size: SMALL },
  { a: BUILTIN_CACHE, b: NGINX_CACHE, size: CACHE_HIT_SIZE },
  { a: BUILTIN_CACHE, b: BUILTIN, size: SMALL },
  { a: BUILTIN, b: PIPE, size: SMALL },
  { a: BUILTIN, b: 'caddy', size: SMALL },
  { a: BUILTIN, b: BUILTIN_OFF, size: SMALL },
  { a: PIPE_TWO_WORKERS, b: PIPE, size: SMALL },
]

export const pairingKey = (p: Pairing) => `${p.a} | ${p.b} | ${p.size}`

/** CPU comparisons taken side by side: both targets under the same fixed load at the same time, so that they share the machine's state exactly. */
export const SIDE_BY_SIDE: (Pairing & { what: string })[] = [
  { a: BUILTIN, b: BUILTIN_OFF, size: SMALL, what: 'what sending and keeping traces costs' },
  { a: BUILTIN_CACHE, b: BUILTIN, size: SMALL, what: 'what the cache miss path costs' },
  { a: BUILTIN_CACHE, b: NGINX_CACHE, size: CACHE_HIT_SIZE, what: 'a cache hit against nginx' },
  { a: BUILTIN, b: 'nginx', size: SMALL, what: 'proxying against nginx' },
]

/** Per side-by-side pairing (by pairingKey), each run's proxy CPU per request of a and of b, µs. */
export type SideBySideRuns = Record<string, [number, number][]>

/**
 * Per pairing (by pairingKey), its runs as [a, b] pairs taken back to back, a first in one pair and
 * b first in the next: the VM's drift over minutes, which swings a row by a third between rounds,
 * then falls on both sides of each ratio, and what stays is the difference between the two targets.
 */
export type PairRuns = Record<string, [Row, Row][]>

export function summarise(samples: Row[], cpuSamples: Record<string, number[]>, sizes: string[], pairs: PairRuns, sideBySideRuns: SideBySideRuns) {
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
  /** One ratio per back-to-back pair, then their median and range. */
  const paired = (a: string, b: string, size: string, pick: (r: Row) => number) => {
    // A pair whose reference measured nothing (a target that failed) gives no ratio, rather than Infinity.
    const ratios = (pairs[pairingKey({ a, b, size })] ?? []).flatMap(([x, y]) => (pick(y) > 0 ? [+(pick(x) / pick(y)).toFixed(3)] : []))
    return ratios.length ? spread(ratios) : undefined
  }
  const rps = (r: Row) => r.requestsPerSecond
  const vsNginx = paired(BUILTIN, 'nginx', SMALL, rps)
  const p99VsNginx = paired(BUILTIN, 'nginx', SMALL, (r) => r.latencyP99Ms)
  const vsPipe = paired(BUILTIN, PIPE, SMALL, rps)
  const twoWorkers = paired(PIPE_TWO_WORKERS, PIPE, SMALL, rps)
  const vsCaddy = paired(BUILTIN, 'caddy', SMALL, rps)
  const onVsOff = paired(BUILTIN, BUILTIN_OFF, SMALL, rps)
  const hitVsNginx = paired(BUILTIN_CACHE, NGINX_CACHE, CACHE_HIT_SIZE, rps)
  const missVsUncached = paired(BUILTIN_CACHE, BUILTIN, SMALL, rps)
  const range = (s: Spread | undefined, digits = 2) => (s ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : 'not measured')
  const checks: Check[] = [
    { what: `built-in (traces on) vs nginx, ${SMALL} req/s`, target: '≥ 0.75×', measured: range(vsNginx), pass: (vsNginx?.median ?? 0) >= 0.75 },
    { what: 'built-in cache hit vs nginx proxy_cache hit, 1 KiB req/s', target: '≥ 0.8×', measured: range(hitVsNginx), pass: (hitVsNginx?.median ?? 0) >= 0.8 },
    { what: `a cache miss vs no cache, ${SMALL} req/s (the miss path costs nothing extra)`, target: '≥ 0.95×', measured: range(missVsUncached), pass: (missVsUncached?.median ?? 0) >= 0.95 },
    { what: 'ahead of the plain Node pipe proxy', target: '> 1×', measured: range(vsPipe), pass: (vsPipe?.median ?? 0) > 1 },
    { what: 'ahead of Caddy', target: '> 1×', measured: range(vsCaddy), pass: (vsCaddy?.median ?? 0) > 1 },
    { what: `p99 latency vs nginx, ${SMALL}`, target: '≤ 1.2×', measured: range(p99VsNginx), pass: (p99VsNginx?.median ?? Infinity) <= 1.2 },
    {
      what: 'throughput cost of traces',
      target: '≤ 5 %',
      measured: onVsOff ? `${((1 - onVsOff.median) * 100).toFixed(1)} % (${((1 - onVsOff.max) * 100).toFixed(1)}–${((1 - onVsOff.min) * 100).toFixed(1)} %)` : 'not measured',
      pass: onVsOff !== undefined && 1 - onVsOff.median <= 0.05,
    },
  ]
  const sideBySide = SIDE_BY_SIDE.flatMap((p) => {
    const runs = sideBySideRuns[pairingKey(p)]
    if (!runs?.length) return []
    return [{ ...p, aMicros: spread(runs.map(([a]) => a)), bMicros: spread(runs.map(([, b]) => b)), ratio: spread(runs.map(([a, b]) => +(a / b).toFixed(3))) }]
  })
  return { summary, cpuMicrosPerRequest: cpu, checks, sideBySide, twoWorkers: twoWorkers && range(twoWorkers) }
}

export function renderBenchMarkdown(result: ReturnType<typeof summarise> & { date: string; machine: string; node: string; rounds: number; durationSeconds: number; warmupSeconds: number; fixedRate: number; pairs: number; pairSeconds: number; sideBySideRate: number }): string {
  const r = (s: Spread, digits = 0) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
  const lines = [
    '# Proxy benchmark',
    '',
    `Written by \`npm run bench\` (test/bench/proxy-comparison.ts) on ${result.date.slice(0, 10)}: ${result.machine}, Node ${result.node}.`,
    `${result.rounds} rounds; in each, every target gets ${result.warmupSeconds} s of warm-up and ${result.durationSeconds} s of autocannon load per size (keep-alive; 50 connections at 1 KiB, 10 at 1 MiB), in an order that rotates by round.`,
    'Each cell is the median with the range over the rounds in brackets. The load generator, the upstream and the proxy share the machine\'s cores. Latency percentiles come from every response\'s own time (hrtime, to the hundredth of a ms), not from autocannon\'s histogram of whole milliseconds.',
    'The built-in proxy runs in its own process, from the build (out/main/proxy-host.js), as `aerie serve` and the app run it. "traces off" is a bench-only setting: that process still builds each trace and drops it before encoding it, so the row shows what sending traces to the engine, and the engine keeping them, costs (not what building them costs).',
    '',
    '| target | size | req/s | p99 ms | MB/s | proxy RSS MB | errors | non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...result.summary.map((s) => `| ${s.target} | ${s.size} | ${r(s.requestsPerSecond)} | ${r(s.latencyP99Ms, 1)} | ${r(s.throughputMBps)} | ${s.rssMB ?? ''} | ${s.errors} | ${s.non2xx} |`),
    '',
    `Proxy CPU per 1 KiB request at a fixed ${result.fixedRate} req/s (user + system time of the proxying process, from /proc; steadier than req/s at full load):`,
    '',
    '| target | µs per request |',
    '|---|---:|',
    ...Object.entries(result.cpuMicrosPerRequest).map(([t, s]) => `| ${t} | ${r(s)} |`),
    '',
    `Side by side: the two targets of each row under ${result.sideBySideRate} req/s of 1 KiB requests each, at the same time, so that both meet the same state of the machine; the proxy CPU per request of each and their ratio, run by run:`,
    '',
    '| what | a | b | size | a µs | b µs | a / b |',
    '|---|---|---|---|---:|---:|---:|',
    ...result.sideBySide.map((x) => `| ${x.what} | ${x.a} | ${x.b} | ${x.size} | ${r(x.aMicros)} | ${r(x.bMicros)} | ${r(x.ratio, 2)} |`),
    '',
    `One process per core: the plain Node pipe proxy as two worker processes on one listening socket made ${result.twoWorkers ?? 'not measured'}× the requests/s of one (pair by pair, as the checks below), on ${result.machine.split(',')[0]} that the load generator and the upstream share.`,
    '',
    `Targets (from the hardened-proxy and proxy-duties issues). Each ratio is measured on its own, after the rounds: the two targets take turns, ${result.pairSeconds} s of load each (after a second of warm-up), ${result.pairs} times, the other one first every second time, and each cell is the median of the ${result.pairs} back-to-back ratios with their range. The rounds above move a row by a third between minutes on this VM; back to back, the two sides of a ratio share that drift. The comparisons take turns pair by pair, so that a slow spell of a few minutes falls on a few pairs of each check, not on all the pairs of one. The p99 ratio compares each response's own time (see above), not whole milliseconds.`,
    '',
    '| check | target | measured | |',
    '|---|---|---|---|',
    ...result.checks.map((c) => `| ${c.what} | ${c.target} | ${c.measured} | ${c.pass ? 'met' : '**not met**'} |`),
    '',
  ]
  return lines.join('\n')
}
