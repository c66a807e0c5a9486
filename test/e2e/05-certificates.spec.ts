import fs from 'node:fs'
import path from 'node:path'
import { chromium } from '@playwright/test'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { requireBinary } from '../support/binaries.js'
import { chromiumLaunchOptions } from './chromium.js'
import { expect, invoke, test } from './fixtures.js'
import { choose } from './naive.js'
import { snap } from './screenshots.js'

const certutil = requireBinary('certutil')

test('Trust CA puts the CA in the NSS database, and Chromium then loads the demo over HTTPS without a certificate error', async ({ page, aerie }) => {
  test.skip(!certutil, 'certutil (libnss3-tools) is not installed')
  const httpsPort = await findFreePort()
  const demo = (await invoke(page.request, aerie, 'stack:get', { id: 'demo' })) as { stack: { proxy: object } }
  await invoke(page.request, aerie, 'stack:save', { stack: { ...demo.stack, proxy: { ...demo.stack.proxy, httpsPort } } })

  await page.goto(aerie.url)
  await page.getByRole('link', { name: 'Certificates' }).click()
  await expect(page.getByTestId('ca-subject')).toContainText('CN=Aerie Local CA — ')
  const nss = page.locator('[data-store^="Chrome/Chromium"]')
  await expect(nss.getByTestId('trust-state')).toHaveText('not trusted')
  await page.getByTestId('trust').click()
  await expect(nss.getByTestId('trust-state')).toHaveText('trusted')
  // The system-wide store is never changed by the button: it shows the command instead.
  const system = page.locator('[data-store^="System"]')
  await expect(system.getByTestId('trust-state')).toHaveText('not trusted')
  await expect(system).toContainText('update-ca-certificates')

  await page.getByRole('link', { name: 'Stacks', exact: true }).click()
  const card = page.locator('[data-stack="demo"]')
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('running')
  await expect(card.getByTestId('url').first()).toHaveText(`https://demo.localhost:${httpsPort}/`)
  await expect(card.getByTestId('cert-status')).toContainText(/local CA, until \d{4}-\d{2}-\d{2}/)

  // A browser that sees the same HOME, so the same NSS database, and no certificate overrides.
  const browser = await chromium.launch({ ...chromiumLaunchOptions(), env: { ...process.env, HOME: aerie.userHome } })
  try {
    const site = await browser.newPage()
    const response = await site.goto(`https://demo.localhost:${httpsPort}/`)
    expect(response?.status()).toBe(200)
    const security = await response!.securityDetails()
    expect(security?.issuer).toContain('Aerie Local CA')
    expect(security?.protocol).toBe('TLS 1.3')
    await expect(site.locator('table')).toContainText('https')
  } finally {
    await browser.close()
  }

  await page.getByRole('link', { name: 'Certificates' }).click()
  await expect(page.locator('[data-leaf="demo"]')).toContainText('demo.localhost, localhost, 127.0.0.1, ::1')
  await expect(page.locator('[data-leaf="demo"]').getByTestId('expiry')).toHaveClass('expiry-ok')
  await snap(page, 'certificates.png', { fullPage: true })

  await page.getByRole('link', { name: 'Stacks', exact: true }).click()
  await card.getByTestId('toggle').click()
  await expect(card.getByTestId('state').first()).toHaveText('stopped')
})

test('an import with a key that does not match is refused with a clear message', async ({ page, aerie }) => {
  await page.goto(aerie.url)
  await page.getByRole('link', { name: 'Certificates' }).click()
  await page.getByText('Use your own certificate for a stack').click()
  await choose(page.getByLabel('Stack', { exact: true }), 'Demo')
  const { files } = (await invoke(page.request, aerie, 'cert:export', { stackId: 'demo', format: 'pem' }).catch(async () => {
    await invoke(page.request, aerie, 'cert:renew', { stackId: 'demo' })
    return invoke(page.request, aerie, 'cert:export', { stackId: 'demo', format: 'pem' })
  })) as { files: { content: string }[] }
  await page.getByLabel('Certificate (PEM)').fill(files[0].content)
  await page.getByLabel('Private key (PEM)').fill('-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIOJRHNuBtMkXgAzaOIYu53CxKdzOoSRG0a8ykoQspJXc\n-----END PRIVATE KEY-----\n')
  await page.getByRole('button', { name: 'Import' }).click()
  await expect(page.getByTestId('toast')).toContainText('the private key does not match the certificate')
})

test('a PFX chosen in the import form is imported with its password, and a wrong password is named', async ({ page, aerie }) => {
  const exported = (await invoke(page.request, aerie, 'cert:export', { stackId: 'demo', format: 'pfx', password: 'right-pass' }).catch(async () => {
    await invoke(page.request, aerie, 'cert:renew', { stackId: 'demo' })
    return invoke(page.request, aerie, 'cert:export', { stackId: 'demo', format: 'pfx', password: 'right-pass' })
  })) as { files: { content: string }[] }
  const pfx = path.join(aerie.home, 'demo-e2e.pfx')
  fs.writeFileSync(pfx, Buffer.from(exported.files[0].content, 'base64'))

  await page.goto(aerie.url)
  await page.getByRole('link', { name: 'Certificates' }).click()
  await page.getByText('Use your own certificate for a stack').click()
  await choose(page.getByLabel('Stack', { exact: true }), 'Demo')
  await page.getByText('PFX / PKCS#12').click()
  await page.locator('.import-form input[type="file"]').setInputFiles(pfx)
  await expect(page.locator('.import-form')).toContainText('demo-e2e.pfx')
  await page.getByLabel('PFX password').fill('wrong-pass')
  await page.getByRole('button', { name: 'Import' }).click()
  await expect(page.getByTestId('toast').last()).toContainText(/password/i)
  await page.getByLabel('PFX password').fill('right-pass')
  await page.getByRole('button', { name: 'Import' }).click()
  await expect(page.getByTestId('toast').filter({ hasText: 'Imported a certificate for demo' })).toBeVisible()
  await expect(page.locator('[data-leaf="demo"]')).toContainText('imported')
  // Back to an Aerie-issued certificate for the tests that follow (the next start issues one).
  await invoke(page.request, aerie, 'cert:delete', { stackId: 'demo' })
})
