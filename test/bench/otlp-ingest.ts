// `npm run bench`: the engine's OTLP receiver. (1) Ingest: OTLP/protobuf export requests of 512 spans
// (the SDKs' batch size) posted as fast as it takes them, in spans/s. (2) Its cost to the proxy: the
// built-in proxy's 1 KiB req/s while the receiver in the engine takes a steady BUSY_SPANS_PER_S from an
// exporter process of its own, against
// the same proxy with the receiver idle, interleaved over BENCH_ROUNDS rounds. Loopback only, bounded in
// time. Writes bench/results/otlp.json and docs/bench-otlp.md (the README links it).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import autocannon from 'autocannon'
import { canConnect, findFreePort } from '../../src-main/core/supervisor/ports.js'
import { OTLP_KEY_HEADER } from '../../src-main/core/telemetry/otlp/otlp-receiver.js'
import { encodeTraceRequest } from '../../src-main/core/telemetry/otlp/otlp-decode.js'

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5)
// Nine paired rounds: one round to the next, this machine's proxy req/s moves by more than the 5 % being measured.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const BATCH = 512
/** A busy app: 40 exports a second of 512 spans (about 20,000 requests a second traced by an app with a few spans each). */
const BUSY_EXPORTS_PER_S = 40
const BUSY_SPANS_PER_S = BUSY_EXPORTS_PER_S * BATCH
const GOAL_COST_PERCENT = 5

const here = path.dirname(new URL(import.meta.url).pathname)
const children: ChildProcess[] = []
const cleanups: (() => void)[] = []

/** One export request as an ASP.NET Core app sends it: server spans with the usual attributes, each its own trace. */
function exportRequest(batch: number): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n
  const hex = (n: number, bytes: number) => Buffer.from(n.toString(16).padStart(bytes * 2, '0').slice(-bytes * 2), 'hex').toString('base64')
  const spans = Array.from({ length: BATCH }, (_, i) => ({
    traceId: hex(0x100000 + batch * BATCH + i, 16),
    spanId: hex(0x2000 + i, 8),
    parentSpanId: hex(0x3000 + i, 8),
    name: 'GET /api/items/{id}',
    kind: 2,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_500_000n),
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'url.path', value: { stringValue: `/api/items/${i}` } },
      { key: 'http.route', value: { stringValue: '/api/items/{id}' } },
      { key: 'http.response.status_code', value: { intValue: 200 } },
      { key: 'server.address', value: { stringValue: 'shop.localhost' } },
    ],
  }))
  return encodeTraceRequest({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench/web' } }] }, scopeSpans: [{ scope: { name: 'Microsoft.AspNetCore' }, spans }] }] })
}

async function start(command: string, args: string[], env: Record<string, string>, port: number): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const lines: string[] = []
  readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l))
  const deadline = Date.now() + 20_000
  while (!(await canConnect(port)) || (env.OTLP === 'on' && !lines.some((l) => l.startsWith('otlp ')))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${command} did not start listening on ${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return { child, lines }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const ingest: number[] = []
const idle: number[] = []
const busy: number[] = []
/** The engine process's CPU (receiver, and the proxy's traces coming in) per second of each proxy run. */
const engineIdleCpu: number[] = []
const engineBusyCpu: number[] = []
let refused = 0
try {
  const upstreamPort = await findFreePort()
  await start(process.execPath, [path.join(here, 'targets', 'upstream.mjs')], { PORT: String(upstreamPort) }, upstreamPort)
  const port = await findFreePort()
  const { lines, child: engine } = await start(process.execPath, ['--import', 'tsx', path.join(here, 'targets', 'builtin-proxy.ts')], { PORT: String(port), UPSTREAM_PORT: String(upstreamPort), TRACES: 'on', OTLP: 'on' }, port)
  const [, endpoint, key] = lines.find((l) => l.startsWith('otlp '))!.split(' ')
  // 64 different requests in turn (32,768 traces): the store's bound (10,000 traces) is exercised too.
  const bodies = Array.from({ length: 64 }, (_, k) => exportRequest(k))
  const bodiesFile = path.join(os.tmpdir(), `aerie-otlp-bench-${process.pid}.bin`)
  // For the exporter process: each request after its length (4 bytes, big-endian).
  fs.writeFileSync(bodiesFile, Buffer.concat(bodies.flatMap((b) => [Buffer.from([b.length >>> 24, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255]), b])))
  cleanups.push(() => fs.rmSync(bodiesFile, { force: true }))
  let next = 0
  const post = {
    url: `${endpoint}/v1/traces`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/x-protobuf', [OTLP_KEY_HEADER]: key },
    requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  }
  const proxy = async (engineCpu: number[]) => {
    const before = cpuSeconds(engine.pid!)
    const started = performance.now()
    const r = await autocannon({ url: `http://127.0.0.1:${port}/small`, connections: 50, duration: DURATION_S })
    engineCpu.push((cpuSeconds(engine.pid!) - before) / ((performance.now() - started) / 1000))
    return r
  }
  await autocannon({ url: `http://127.0.0.1:${port}/small`, connections: 50, duration: 1 })

  for (let round = 0; round < ROUNDS; round++) {
    const r = await autocannon({ ...post, connections: 4, duration: DURATION_S })
    refused += r.non2xx + r.errors
    ingest.push(Math.round((r.requests.total * BATCH) / DURATION_S))
    // Alternate which goes first, so neither is always the colder one.
    for (const withLoad of round % 2 ? [true, false] : [false, true]) {
      if (!withLoad) {
        idle.push(Math.round((await proxy(engineIdleCpu)).requests.average))
        continue
      }
      // The app's exporter is another process, as it would be: this one's event loop drives the proxy load only.
      const sender = spawn(process.execPath, [path.join(here, 'targets', 'otlp-sender.mjs')], {
        env: { ...process.env, BODIES: bodiesFile, OTLP_ENDPOINT: endpoint, OTLP_KEY: key, OTLP_KEY_HEADER, EXPORTS_PER_S: String(BUSY_EXPORTS_PER_S), DURATION_S: String(DURATION_S + 1) },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      children.push(sender)
      const sent = new Promise<string>((resolve) => {
        let out = ''
        sender.stdout!.on('data', (d) => (out += d))
        sender.on('exit', () => resolve(out))
      })
      // Let it start sending before the proxy is measured.
      await new Promise((r) => setTimeout(r, 500))
      const p = await proxy(engineBusyCpu)
      const report = JSON.parse((await sent).trim() || '{"failed":1}') as { sent: number; failed: number }
      refused += report.failed
      busy.push(Math.round(p.requests.average))
    }
    console.error(`round ${round + 1}: ingest ${ingest.at(-1)} spans/s; proxy ${idle.at(-1)} req/s idle, ${busy.at(-1)} req/s with ${BUSY_SPANS_PER_S} spans/s coming in`)
  }
} finally {
  for (const c of children) c.kill('SIGTERM')
  for (const c of cleanups) c()
}

// Paired round by round (the two runs were back to back), so drift between rounds cancels.
const costs = idle.map((x, i) => +((1 - busy[i] / x) * 100).toFixed(1))
const cost = median(costs)
/** What the receiver itself takes: the engine's CPU with the exporter busy, less without it. */
const receiverCores = engineBusyCpu.map((b, i) => b - engineIdleCpu[i])
const receiverPercent = +(median(receiverCores) * 100).toFixed(1)
const microsPerSpan = +((median(receiverCores) * 1e6) / BUSY_SPANS_PER_S).toFixed(2)
const result = { date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, node: process.version, rounds: ROUNDS, durationSeconds: DURATION_S, batch: BATCH, busySpansPerSecond: BUSY_SPANS_PER_S, ingestSpansPerSecond: ingest, proxyIdle: idle, proxyBusy: busy, costPercent: cost, costPercentByRound: costs, receiverCpuPercentOfOneCore: receiverPercent, receiverMicrosPerSpan: microsPerSpan, refused }
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync('bench/results/otlp.json', JSON.stringify(result, null, 2) + '\n')
const range = (xs: number[]) => `${Math.min(...xs).toLocaleString('en')}–${Math.max(...xs).toLocaleString('en')}`
const markdown = `<!-- Written by test/bench/otlp-ingest.ts (npm run bench); do not edit by hand. -->
# OTLP receiver: ingest and its cost to the proxy

${result.date.slice(0, 10)}, ${result.machine}, Node ${result.node}; ${ROUNDS} rounds of ${DURATION_S} s, medians (range). On 2 cores the exporter process, the load generator, the upstream, the proxy and the engine share the CPU: what the receiver and the exporter take is throughput the proxy loses, within the run-to-run noise that the cost's range shows.

| measure | median | range | goal | met? |
|---|---|---|---|---|
| ingest, OTLP/protobuf, ${BATCH} spans per request | ${median(ingest).toLocaleString('en')} spans/s | ${range(ingest)} | — | — |
| built-in proxy, 1 KiB, receiver idle | ${median(idle).toLocaleString('en')} req/s | ${range(idle)} | — | — |
| built-in proxy, 1 KiB, receiver taking ${BUSY_SPANS_PER_S.toLocaleString('en')} spans/s | ${median(busy).toLocaleString('en')} req/s | ${range(busy)} | — | — |
| cost of the busy receiver to the proxy's req/s, paired round by round | ${cost} % | ${Math.min(...costs)}–${Math.max(...costs)} % | < ${GOAL_COST_PERCENT} % | ${cost < GOAL_COST_PERCENT ? 'yes' : 'no'} |
| the receiver's own CPU at ${BUSY_SPANS_PER_S.toLocaleString('en')} spans/s (engine process, busy less idle) | ${receiverPercent} % of one core | ${(Math.min(...receiverCores) * 100).toFixed(1)}–${(Math.max(...receiverCores) * 100).toFixed(1)} % | — | — |
| the receiver's CPU per span | ${microsPerSpan} µs | — | — | — |

Export requests refused or failed during the run: ${refused}. The receiver runs in the engine's process and the built-in proxy in its own (see the README); the busy exporter is a third process (test/bench/targets/otlp-sender.mjs). A protobuf request is indexed by a walk over its bytes and decoded only when a timeline asks for it.
`
fs.writeFileSync('docs/bench-otlp.md', markdown)
console.log(markdown)
