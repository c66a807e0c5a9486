import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { expect, invoke, test } from './fixtures.js'
import { snap } from './screenshots.js'

/** Counts its answers; a fresh answer a shared cache may keep for a minute. */
const APP = `let n=0;require('http').createServer((q,r)=>{r.writeHead(200,{'cache-control':'max-age=60','content-type':'text/plain'});r.end('answer '+(++n))}).listen(process.env.PORT,'127.0.0.1')`

test("a stack with proxy.cache and a rewrite: the second request is a hit, the trace says so and names the rewrite, and the card's button purges it", async ({ page, aerie, request }) => {
  const port = await findFreePort()
  await invoke(request, aerie, 'stack:save', {
    stack: { id: 'cached', name: 'Cached', hostnames: ['cached.localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', APP] }], routes: [{ appServer: 'web' }], rewrites: [{ match: '^/old/(.*)$', to: '/$1' }], proxy: { httpPort: port, cache: { maxSizeMb: 4 } } },
    create: true,
  })
  await invoke(request, aerie, 'stack:start', { id: 'cached' })
  const ask = () => page.request.get(`http://127.0.0.1:${port}/page`, { headers: { host: `cached.localhost:${port}` } })
  expect(await (await ask()).text()).toBe('answer 1')
  const hit = await ask()
  expect(await hit.text()).toBe('answer 1')
  expect(hit.headers()['cache-status']).toMatch(/^Aerie; hit/)

  await page.goto(aerie.url)
  await page.keyboard.press('Alt+3')
  await expect(page.getByTestId('trace-table')).toBeVisible()
  await page.locator('[data-path="/page"]').first().click()
  await expect(page.getByTestId('trace-cache')).toHaveText(/^Aerie; (hit; ttl=\d+|fwd=uri-miss; stored)$/)
  await expect(page.getByTestId('trace-rewrite')).toHaveCount(0)
  // Rewritten to /page, the same cached answer.
  expect(await (await page.request.get(`http://127.0.0.1:${port}/old/page`, { headers: { host: `cached.localhost:${port}` } })).text()).toBe('answer 1')
  await page.locator('[data-path="/old/page"]').first().click()
  await expect(page.getByTestId('trace-rewrite')).toHaveText('#1 ^/old/(.*)$ → served as /page')
  await snap(page.getByTestId('trace-detail'), 'trace-rewrite-cache.png')

  await page.keyboard.press('Alt+1')
  await page.locator('[data-stack="cached"]').getByTestId('purge-cache').click()
  await expect(page.getByTestId('toast').filter({ hasText: 'purged 1 cached answer(s) (all)' })).toBeVisible()
  expect(await (await ask()).text()).toBe('answer 2')
  await invoke(request, aerie, 'stack:stop', { id: 'cached' })
})
