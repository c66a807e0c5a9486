import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { expect, invoke, test } from './fixtures.js'
import { snap } from './screenshots.js'

// A worker that is ready, then exits with code 3 a moment later, every time.
const flakyWorker = `require('http').createServer((q,r)=>r.end('ok')).listen(process.env.PORT,'127.0.0.1',()=>console.log('\\x1b[33mworker ready\\x1b[0m on '+process.env.PORT));setTimeout(()=>{console.error('fatal: lost the queue connection');process.exit(3)},600)`

test('an instance that keeps crashing is restarted, then shown failed with its exit code and last output', async ({ page, aerie }) => {
  await invoke(page.request, aerie, 'stack:save', {
    stack: {
      id: 'shop',
      name: 'Shop',
      hostnames: ['shop.localhost'],
      appServers: [
        { name: 'web', command: '{node}', args: ['{resources}/demo-app/server.mjs'], instances: 2, readiness: { kind: 'http', path: '/api/whoami' } },
        { name: 'worker', command: '{node}', args: ['-e', flakyWorker], instances: 1, restart: 'on-failure', restartBackoff: { initialMs: 200, maxMs: 1000 }, restartLimit: { burst: 2, windowMs: 60_000 } },
      ],
      routes: [{ appServer: 'web' }],
      proxy: { httpPort: await findFreePort() },
    },
  })

  await page.goto(aerie.url)
  const card = page.locator('[data-stack="shop"]')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('running')
  const worker = card.locator('[data-process="worker#1"]')
  await expect(worker.getByTestId('state')).toHaveText('failed', { timeout: 20_000 })
  await expect(worker.getByTestId('restarts')).toHaveText('2')
  const problem = card.locator('[data-problem="worker#1"]')
  await expect(problem).toContainText('exited with code 3; crashed 3 times within 60 s')
  await problem.getByText(/Last \d+ lines of output/).click()
  await expect(problem.locator('pre')).toContainText('fatal: lost the queue connection')
  await expect(card.locator('[data-process="web#1"]').getByTestId('state')).toHaveText('running')

  await snap(card, 'stack-crashed-instance.png')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('stopped')
})
