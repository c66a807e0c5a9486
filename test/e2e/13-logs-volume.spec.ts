import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { startServe, stopServe } from './aerie-serve.js'
import { expect, invoke, test, type AerieServer } from './fixtures.js'
import { snap } from './screenshots.js'
import { tempHome } from '../support/temp-home.js'
import path from 'node:path'

// Page globals in the functions that run in the page (this file is typed for Node).
declare const document: { getElementsByTagName(name: string): { length: number }; documentElement: { scrollHeight: number }; querySelector(selector: string): unknown }
declare const innerHeight: number

/** Listens (for readiness), prints `count` numbered lines as fast as it can, then a last one. */
const printer = (count: number) =>
  `require('http').createServer((q,r)=>r.end('ok')).listen(process.env.PORT,'127.0.0.1',()=>{for(let i=1;i<=${count};i++)process.stdout.write('line '+i+' of the burst\\n');process.stdout.write('LAST LINE\\n')})`

async function printerStack(request: Parameters<typeof invoke>[0], aerie: AerieServer, id: string, count: number) {
  await invoke(request, aerie, 'stack:save', {
    stack: { id, name: id, hostnames: [`${id}.localhost`], appServers: [{ name: 'printer', command: '{node}', args: ['-e', printer(count)]}], routes: [{ appServer: 'printer' }], proxy: { httpPort: await findFreePort() } },
    create: true,
  })
}

test('the Logs view tails live: lines printed after it opened appear by themselves, in a bounded, virtualised pane', async ({ page, aerie, request }) => {
  await printerStack(request, aerie, 'tail', 30_000)
  await page.goto(aerie.url)
  await page.keyboard.press('Alt+2')
  await expect(page.getByTestId('log-pane')).toBeVisible()
  await invoke(request, aerie, 'stack:start', { id: 'tail' })
  // No other action: the view follows the tail.
  await expect(page.getByTestId('log-pane').getByText('LAST LINE')).toBeVisible({ timeout: 30_000 })
  const dom = await page.evaluate(() => ({ nodes: document.getElementsByTagName('*').length, height: document.documentElement.scrollHeight, viewport: innerHeight }))
  expect(dom.nodes).toBeLessThan(2_500)
  expect(dom.height).toBeLessThanOrEqual(dom.viewport)
  await expect(page).toHaveTitle('Logs · Aerie')

  // Scrolled up, Follow goes off and new lines wait behind "Jump to latest".
  await page.getByTestId('log-pane').evaluate((el) => el.scrollTo({ top: 0 }))
  await expect(page.getByTestId('jump-latest')).toBeVisible()
  await page.getByTestId('jump-latest').click()
  await expect(page.getByTestId('log-pane').getByText('LAST LINE')).toBeVisible()

  // A filter marks what it matched.
  await page.getByRole('searchbox', { name: 'Text filter' }).fill('line 29999 ')
  await expect(page.getByTestId('log-count')).toHaveText('1 line')
  await expect(page.getByTestId('log-pane').locator('mark.log-hit')).toHaveText('line 29999 ')
  await snap(page, 'logs-filtered.png')
  await invoke(request, aerie, 'stack:stop', { id: 'tail' })
})

test('a client the server dropped lines for is told, asks again, and shows every line or an "N lines skipped" marker, never a silent gap', async ({ page, request }) => {
  const home = tempHome('aerie-e2e-drop-')
  // Every event that finds anything unsent on the socket is dropped; the engine keeps 1000 lines.
  const { child, url } = await startServe({ HOME: home.dir, AERIE_HOME: path.join(home.dir, 'data'), AERIE_DEMO_PORT: String(await findFreePort()), AERIE_WS_BACKPRESSURE_BYTES: '1', AERIE_LOG_BUFFER_LINES: '1000' })
  const aerie = { url, origin: new URL(url).origin, demoPort: 0, home: path.join(home.dir, 'data'), userHome: home.dir }
  try {
    // Fewer lines than the view keeps, so that its whole history can be checked.
    await printerStack(request, aerie, 'flood', 80_000)
    let droppedNotices = 0
    page.on('websocket', (ws) => ws.on('framereceived', (f) => void (String(f.payload).includes('"stream:dropped"') && droppedNotices++)))
    await page.goto(url)
    await page.keyboard.press('Alt+2')
    await expect(page.getByTestId('log-pane')).toBeVisible()
    // A stalled tab: its main thread busy for 4 s while the lines pour out, so that the socket backs up.
    const stall = page.evaluate(() => {
      const until = Date.now() + 4_000
      while (Date.now() < until);
    })
    await invoke(request, aerie, 'stack:start', { id: 'flood' })
    await stall
    await expect(page.getByTestId('log-pane').getByText('LAST LINE')).toBeVisible({ timeout: 60_000 })
    // Every line the view holds follows the one before it, or a marker says how many are missing.
    const gaps = await page.evaluate(() => {
      // The logs store's lines, through the app's Pinia (Vue keeps the app on its mount element).
      const app = (document.querySelector('#app') as unknown as { __vue_app__: { config: { globalProperties: { $pinia: { state: { value: { logs: { lines: { seq: number }[] } } } } } } } }).__vue_app__
      const store = app.config.globalProperties.$pinia.state.value.logs.lines
      let unexplained = 0
      let markers = 0
      // From the first line on: nothing was lost before the first one here.
      if (store[0]?.seq !== 1) unexplained++
      for (let i = 1; i < store.length; i++) {
        const [a, b] = [store[i - 1].seq, store[i].seq]
        if (!Number.isInteger(b)) markers++
        else if (Number.isInteger(a) && b !== a + 1) unexplained++
      }
      return { unexplained, markers }
    })
    expect(droppedNotices, 'the server dropped lines and said so').toBeGreaterThan(0)
    expect(gaps.unexplained).toBe(0)
    if (gaps.markers) {
      await page.getByRole('searchbox', { name: 'Text filter' }).fill('skipped')
      await expect(page.getByTestId('log-pane').getByText(/lines? skipped: the engine's buffer no longer holds them/).first()).toBeVisible()
      await snap(page, 'logs-skipped-marker.png')
    }
    await invoke(request, aerie, 'stack:stop', { id: 'flood' })
  } finally {
    await stopServe(child)
    home.cleanup()
  }
})
