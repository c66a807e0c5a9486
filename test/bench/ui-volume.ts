// `npm run bench`: the UI at volume, in Debian's Chromium through the headless face (`aerie serve`).
// An app prints 1 000 000 lines at full speed with the Logs view open, then 20 000 requests go
// through the proxy with the Traces view open. For each: how long after the last one was written
// it appears in the view, the longest main-thread task, the JS heap and the DOM size at the end.
// Writes bench/results/ui-volume.json, docs/bench-ui.md and the figures in the README (between
// its ui-bench markers): nothing is copied by hand.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { chromium, type Page } from '@playwright/test'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { chromiumLaunchOptions } from '../e2e/chromium.js'
import { startServe, stopServe } from '../e2e/aerie-serve.js'

const LINES = 1_000_000
const REQUESTS = 20_000
const GOALS = { visibleMs: 1_000, longestTaskMs: 200, heapMB: 150, domElements: 5_000 }

/** An app that serves HTTP (for readiness and the trace load) and, once listening, prints LINES lines and the time it wrote the last. */
const APP = `require('http').createServer((q,r)=>r.end('ok')).listen(process.env.PORT,'127.0.0.1',()=>{let s='';for(let i=1;i<=${LINES};i++){s+='line '+i+' of a million, with some text after it\\n';if(i%2000===0){process.stdout.write(s);s=''}}process.stdout.write(s+'LAST LINE written at '+Date.now()+'\\n')})`

interface Measure {
  /** From the last line's (request's) write to its appearance in the view, in ms. */
  visibleMs: number
  /** From the engine's timestamp of the last line to its appearance (logs only). */
  fromEngineMs?: number
  /** How long the burst itself took: the app's printing (from the start command), or the load. */
  burstMs: number
  longestTaskMs: number
  heapMB: number
  domElements: number
}

async function invoke(origin: string, token: string, name: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${origin}/api/invoke/${name}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = (await res.json()) as { ok: boolean; result?: unknown; error?: { message: string } }
  if (!json.ok) throw new Error(`${name}: ${json.error?.message}`)
  return json.result
}

/**
 * Starts counting long tasks (the longest, from now on) and notes the wall-clock time at which
 * `selector` first holds `text` (polled every frame). In-page code is a string: tsx would wrap
 * named functions in a helper the page does not have.
 */
async function watchFor(page: Page, selector: string, text: string): Promise<void> {
  await page.evaluate(`(() => {
    window.longest = 0
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longest = Math.max(window.longest, e.duration) }).observe({ type: 'longtask' })
    window.seenAt = new Promise((resolve) => {
      const look = () => (document.querySelector(${JSON.stringify(selector)})?.textContent?.includes(${JSON.stringify(text)}) ? resolve(Date.now()) : requestAnimationFrame(look))
      look()
    })
  })()`)
}

async function finish(page: Page): Promise<Omit<Measure, 'visibleMs' | 'burstMs'> & { seenAt: number }> {
  const seenAt = (await page.evaluate('window.seenAt')) as number
  // Let the last batches settle, then collect garbage so the heap is what the view keeps.
  await page.waitForTimeout(1_000)
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('HeapProfiler.collectGarbage')
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }
  const { longest, dom } = (await page.evaluate(`({ longest: window.longest, dom: document.getElementsByTagName('*').length })`)) as { longest: number; dom: number }
  return { seenAt, longestTaskMs: Math.round(longest), heapMB: Math.round(usedSize / 1024 / 1024), domElements: dom }
}

async function main() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aerie-bench-ui-'))
  const { child, url } = await startServe({ HOME: home, AERIE_HOME: path.join(home, 'data'), AERIE_DEMO_PORT: String(await findFreePort()) })
  const origin = new URL(url).origin
  const token = new URL(url).searchParams.get('token')!
  const browser = await chromium.launch(chromiumLaunchOptions())
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } })
    const port = await findFreePort()
    await invoke(origin, token, 'stack:save', { stack: { id: 'volume', name: 'Volume', hostnames: ['volume.localhost'], appServers: [{ name: 'app', command: '{node}', args: ['-e', APP] }], routes: [{ appServer: 'app' }], proxy: { httpPort: port } }, create: true })
    await page.goto(url)
    await page.keyboard.press('Alt+2')
    await page.getByTestId('log-pane').waitFor()

    // Logs: a million lines at full speed.
    await watchFor(page, '[data-testid=log-pane]', 'LAST LINE')
    console.error(`printing ${LINES} lines`)
    const started = Date.now()
    await invoke(origin, token, 'stack:start', { id: 'volume' })
    const logs = await finish(page)
    const last = ((await invoke(origin, token, 'log:tail', { limit: 1, stackId: 'volume' })) as { time: number; text: string }[]).find((l) => l.text.startsWith('LAST LINE'))
    const written = Number(/written at (\d+)/.exec(last?.text ?? '')?.[1])
    const logRow: Measure = { burstMs: written - started, visibleMs: logs.seenAt - written, fromEngineMs: last ? logs.seenAt - last.time : undefined, longestTaskMs: logs.longestTaskMs, heapMB: logs.heapMB, domElements: logs.domElements }

    // Traces: 20 000 requests through the proxy, then one more whose answer's time is the mark.
    await page.keyboard.press('Alt+3')
    await page.getByTestId('trace-count').waitFor()
    await watchFor(page, '[data-testid=trace-table]', '/the-very-last')
    console.error(`sending ${REQUESTS} requests`)
    const loadStarted = Date.now()
    await autocannon({ url: `http://127.0.0.1:${port}/`, headers: { host: 'volume.localhost' }, connections: 20, amount: REQUESTS - 1 })
    await fetch(`http://127.0.0.1:${port}/the-very-last`, { headers: { host: 'volume.localhost' } })
    const answered = Date.now()
    const traces = await finish(page)
    const traceRow: Measure = { burstMs: answered - loadStarted, visibleMs: traces.seenAt - answered, longestTaskMs: traces.longestTaskMs, heapMB: traces.heapMB, domElements: traces.domElements }
    await invoke(origin, token, 'stack:stop', { id: 'volume' })

    const result = { date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, node: process.version, chromium: browser.version(), lines: LINES, requests: REQUESTS, goals: GOALS, logs: logRow, traces: traceRow }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/ui-volume.json', JSON.stringify(result, null, 2) + '\n')
    const table = renderTable(result)
    fs.writeFileSync('docs/bench-ui.md', `# UI at volume\n\nWritten by \`npm run bench\` (test/bench/ui-volume.ts) on ${result.date.slice(0, 10)}: ${result.machine}, Chromium ${result.chromium}, through \`aerie serve\`.\n\n${table}\n`)
    writeReadmeSection(table)
    console.log(table)
  } finally {
    await browser.close()
    await stopServe(child)
    fs.rmSync(home, { recursive: true, force: true })
  }
}

function renderTable(r: { lines: number; requests: number; goals: typeof GOALS; logs: Measure; traces: Measure }): string {
  const mark = (value: number, goal: number) => `${value.toLocaleString('en')} ${value <= goal ? '(met)' : '(**not met**)'}`
  // The Long Tasks API reports tasks of 50 ms or more only.
  const task = (ms: number) => (ms ? mark(ms, r.goals.longestTaskMs) : 'none over 50 (met)')
  const row = (what: string, m: Measure) => `| ${what} (${(m.burstMs / 1000).toFixed(1)} s) | ${mark(m.visibleMs, r.goals.visibleMs)}${m.fromEngineMs !== undefined ? ` (${m.fromEngineMs.toLocaleString('en')} from the engine's timestamp)` : ''} | ${task(m.longestTaskMs)} | ${mark(m.heapMB, r.goals.heapMB)} | ${mark(m.domElements, r.goals.domElements)} |`
  return [
    `| burst (how long it took) | last one visible after (ms; goal ≤ ${r.goals.visibleMs}) | longest main-thread task (ms; goal ≤ ${r.goals.longestTaskMs}) | JS heap at the end (MB; goal < ${r.goals.heapMB}) | DOM elements (goal < ${r.goals.domElements.toLocaleString('en')}) |`,
    '|---|---:|---:|---:|---:|',
    row(`${r.lines.toLocaleString('en')} log lines at full speed, Logs view open`, r.logs),
    row(`${r.requests.toLocaleString('en')} requests through the proxy, Traces view open`, r.traces),
  ].join('\n')
}

/** The README quotes the table between its markers; the rest of the README is left as it is. */
function writeReadmeSection(table: string): void {
  const readme = fs.readFileSync('README.md', 'utf8')
  const [start, end] = ['<!-- ui-bench:start -->', '<!-- ui-bench:end -->']
  const at = readme.indexOf(start)
  const to = readme.indexOf(end)
  if (at === -1 || to === -1) throw new Error('README.md has no ui-bench markers')
  fs.writeFileSync('README.md', `${readme.slice(0, at + start.length)}\n${table}\n${readme.slice(to)}`)
}

await main()
