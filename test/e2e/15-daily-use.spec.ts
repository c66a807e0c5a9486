import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { expect, invoke, test } from './fixtures.js'
import { snap } from './screenshots.js'

test('a running stack shows CPU and memory per instance; one instance is stopped, started and shown in Logs; a URL and a request are copied', async ({ page, context, aerie }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  await page.goto(aerie.url)
  const card = page.locator('[data-stack="demo"]')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('running')
  // Readings every 2 s: CPU needs two of them.
  await expect(card.getByTestId('memory').first()).toHaveText(/^\d+ MB$/, { timeout: 10_000 })
  await expect(card.getByTestId('cpu').first()).toHaveText(/^\d+\.\d %$/, { timeout: 10_000 })

  // The first URL (https when an earlier test gave the demo an HTTPS port), as the card shows it.
  const shown = await card.getByTestId('url').first().textContent()
  await card.getByTestId('copy-url').first().click()
  expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(shown)
  expect(shown).toMatch(/^https?:\/\/demo\.localhost:\d+\/$/)

  await card.locator('[data-stop="web#2"]').click()
  await expect(card.locator('[data-process="web#2"]').getByTestId('state')).toHaveText('stopped')
  await expect(card.getByTestId('state').first()).toHaveText('degraded')
  await snap(card, 'stack-card-instance-stopped.png')
  await card.locator('[data-start="web#2"]').click()
  await expect(card.getByTestId('state').first()).toHaveText('running')

  await card.locator('[data-logs="web#1"]').click()
  await expect(page).toHaveTitle('Logs · Aerie')
  await expect(page.getByRole('tab', { selected: true })).toHaveText('demo/web#1')

  // A request, copied from its trace as a curl command.
  await page.request.get(`http://127.0.0.1:${aerie.demoPort}/copied?x=1`, { headers: { host: `demo.localhost:${aerie.demoPort}` } })
  await page.keyboard.press('Alt+3')
  // Its trace is in the list before the pause, so that the only new one is the next request's.
  await expect(page.locator('[data-path="/copied?x=1"]')).toBeVisible()
  await page.getByTestId('pause-traces').click()
  await page.request.get(`http://127.0.0.1:${aerie.demoPort}/while-paused`, { headers: { host: `demo.localhost:${aerie.demoPort}` } })
  await expect(page.getByTestId('pause-traces')).toHaveText('Resume (1 new)')
  await expect(page.locator('[data-path="/while-paused"]')).toHaveCount(0)
  await page.getByTestId('pause-traces').click()
  await expect(page.locator('[data-path="/while-paused"]')).toBeVisible()
  await page.locator('[data-path="/copied?x=1"]').click()
  await page.getByTestId('copy-curl').click()
  const curl = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())
  expect(curl).toMatch(new RegExp(`^curl -i 'http://demo\\.localhost:${aerie.demoPort}/copied\\?x=1'`))
  await page.keyboard.press('Alt+1')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('stopped')
})

test('with proxy.traceBodies a trace shows the bodies, and Replay sends the request again', async ({ page, aerie }) => {
  const port = await findFreePort()
  const app = `require('http').createServer((q,r)=>{const c=[];q.on('data',(d)=>c.push(d));q.on('end',()=>r.end('you sent '+Buffer.concat(c)))}).listen(process.env.PORT,'127.0.0.1')`
  await invoke(page.request, aerie, 'stack:save', {
    stack: { id: 'bodies', name: 'Bodies', hostnames: ['bodies.localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', app] }], routes: [{ appServer: 'web' }], proxy: { httpPort: port, traceBodies: 1024 } },
    create: true,
  })
  await invoke(page.request, aerie, 'stack:start', { id: 'bodies' })
  await page.request.post(`http://127.0.0.1:${port}/orders`, { headers: { host: `bodies.localhost:${port}`, 'content-type': 'application/json' }, data: '{"item":"tea","count":2}' })
  await page.goto(aerie.url)
  await page.keyboard.press('Alt+3')
  await page.locator('[data-path="/orders"]').first().click()
  await expect(page.getByTestId('request-body')).toHaveText('{"item":"tea","count":2}')
  await expect(page.getByTestId('response-body')).toHaveText('you sent {"item":"tea","count":2}')
  await snap(page.getByTestId('trace-detail'), 'trace-bodies.png')
  await page.getByTestId('replay').click()
  await expect(page.getByTestId('toast').filter({ hasText: /replayed POST \/orders to the built-in proxy: 200/ })).toBeVisible()
  await expect(page.locator('[data-path="/orders"]')).toHaveCount(2)
  await invoke(page.request, aerie, 'stack:stop', { id: 'bodies' })
})
