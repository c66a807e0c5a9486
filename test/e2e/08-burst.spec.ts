import autocannon from 'autocannon'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { expect, invoke, test } from './fixtures.js'

const LINES = 100_000
const REQUESTS = 20_000

test('a 100 000-line log burst and a 20 000-request trace burst leave the UI responsive and show the last of each', async ({ page, aerie }) => {
  test.setTimeout(120_000)
  const port = await findFreePort()
  // Ready at once; prints LINES numbered lines when asked, then the marker.
  const app = `const http=require('http');http.createServer((q,r)=>{if(q.url==='/burst'){let s='';for(let i=1;i<=${LINES};i++){s+='burst line '+i+'\\n';if(i%5000===0){process.stdout.write(s);s=''}}process.stdout.write('BURST DONE\\n')}r.end('ok')}).listen(process.env.PORT,'127.0.0.1')`
  await invoke(page.request, aerie, 'stack:save', {
    stack: { id: 'burst', name: 'Burst', hostnames: ['burst.localhost'], appServers: [{ name: 'app', command: '{node}', args: ['-e', app] }], routes: [{ appServer: 'app' }], proxy: { httpPort: port } },
  })
  await invoke(page.request, aerie, 'stack:start', { id: 'burst' })

  await page.goto(aerie.url)
  await page.keyboard.press('Alt+2')
  await page.request.get(`http://127.0.0.1:${port}/burst`, { headers: { host: 'burst.localhost' } })
  // The UI keeps handling input while the burst arrives: a filter typed now still applies.
  await page.getByLabel('Text filter').fill('burst line 99999')
  await expect(page.getByTestId('log-pane')).toContainText('burst line 99999', { timeout: 60_000 })
  await page.getByLabel('Text filter').fill('')
  await expect(page.getByTestId('log-pane')).toContainText('BURST DONE', { timeout: 60_000 })

  await page.keyboard.press('Alt+3')
  const load = await autocannon({ url: `http://127.0.0.1:${port}/`, headers: { host: 'burst.localhost' }, connections: 20, amount: REQUESTS - 1 })
  expect(load.errors).toBe(0)
  await page.request.get(`http://127.0.0.1:${port}/the-very-last`, { headers: { host: 'burst.localhost' } })
  await expect(page.locator('[data-path="/the-very-last"]')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('trace-count')).toContainText(/of \d{5} requests/)
  // An interaction still completes promptly: opening a trace shows its detail.
  const started = Date.now()
  await page.locator('[data-path="/the-very-last"]').click()
  await expect(page.getByTestId('trace-detail')).toContainText('GET /the-very-last')
  console.log(`detail pane opened ${Date.now() - started} ms after the click, with ${await page.getByTestId('trace-count').textContent()}`)
  await invoke(page.request, aerie, 'stack:stop', { id: 'burst' })
})
