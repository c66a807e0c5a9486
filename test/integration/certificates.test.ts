import { execFile, spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { buildPfx } from '../../src-main/core/certs/pfx.js'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { requireBinary } from '../support/binaries.js'
import { waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'
import { engineWithDemo } from '../support/test-engine.js'

const run = promisify(execFile)
const DAY = 24 * 60 * 60 * 1000
const curl = requireBinary('curl')
const dotnet = requireBinary('dotnet')

function httpsGet(port: number, host: string, ca: string, urlPath = '/api/whoami'): Promise<{ status: number; body: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: urlPath, servername: host, headers: { host: `${host}:${port}` }, ca, agent: false }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol: (res.socket as tls.TLSSocket).getProtocol() }))
    })
    req.on('error', reject)
  })
}

describe('certificates from the local CA', () => {
  const home = tempHome()
  let clock = new Date()
  let engine: Engine
  let httpsPort: number
  let caPem: string

  beforeAll(async () => {
    ;({ engine } = await engineWithDemo(home.dir, { now: () => clock }))
    httpsPort = await findFreePort()
    const demo = await engine.invoke('stack:get', { id: 'demo' })
    await engine.invoke('stack:save', { stack: { ...demo.stack, proxy: { ...demo.stack.proxy, httpsPort } } })
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
  })

  it('creates the CA on first use: constrained names, a clear subject, its key readable by the user only', async () => {
    const { ca } = await engine.invoke('cert:list', {})
    expect(ca.subject).toMatch(/CN=Aerie Local CA — .+@.+/)
    expect(ca.permittedDomains).toEqual(['localhost', 'test', 'internal'])
    expect(new Date(ca.notAfter).getUTCFullYear() - new Date().getUTCFullYear()).toBe(10)
    expect(fs.statSync(LocalCA.keyFile(path.join(home.dir, 'ca'))).mode & 0o777).toBe(0o600)
    caPem = fs.readFileSync(ca.certFile, 'utf8')
    const text = (await run('openssl', ['x509', '-noout', '-text', '-in', ca.certFile])).stdout
    expect(text).toMatch(/Name Constraints: critical\s+Permitted:\s+DNS:localhost\s+DNS:test\s+DNS:internal\s+IP:127\.0\.0\.0\/255\.0\.0\.0/)
  })

  it('serves the demo over HTTPS with a chain that verifies in Node and in curl, and forwards the scheme', async () => {
    const view = await engine.invoke('stack:start', { id: 'demo' })
    expect(view.urls[0]).toBe(`https://demo.localhost:${httpsPort}/`)
    const res = await httpsGet(httpsPort, 'demo.localhost', caPem)
    expect(res.status).toBe(200)
    expect(res.protocol).toBe('TLSv1.3')
    expect(JSON.parse(res.body).headers['x-forwarded-proto']).toBe('https')
    const { leaves } = await engine.invoke('cert:list', {})
    expect(leaves[0]).toMatchObject({ stackId: 'demo', source: 'aerie', names: ['demo.localhost', 'localhost', '127.0.0.1', '::1'] })
    const leaf = new X509Certificate(fs.readFileSync(leaves[0].certFile))
    expect((new Date(leaf.validTo).getTime() - Date.now()) / DAY).toBeLessThanOrEqual(397)
    expect(leaf.publicKey.asymmetricKeyType).toBe('ec')
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1')
    expect(fs.statSync(leaves[0].keyFile).mode & 0o777).toBe(0o600)
    if (curl) {
      const ca = path.join(home.dir, 'ca', 'ca.cert.pem')
      const { stdout } = await run('curl', ['-sS', '--cacert', ca, '--resolve', `demo.localhost:${httpsPort}:127.0.0.1`, `https://demo.localhost:${httpsPort}/api/whoami`])
      expect(JSON.parse(stdout).headers['x-forwarded-proto']).toBe('https')
    }
    await expect(httpsGet(httpsPort, 'demo.localhost', tls.rootCertificates.join('\n'))).rejects.toThrow(/self[- ]signed|unable to get local issuer/)
  })

  it('refuses a name outside the constraints, saying how to add it', async () => {
    const demo = await engine.invoke('stack:get', { id: 'demo' })
    await engine.invoke('stack:save', { stack: { ...demo.stack, id: 'shop', name: 'Shop', hostnames: ['shop.example.com'], proxy: { ...demo.stack.proxy, httpPort: await findFreePort(), httpsPort: await findFreePort() } } })
    await expect(engine.invoke('stack:start', { id: 'shop' })).rejects.toThrow(/shop\.example\.com is outside the names Aerie's local CA may sign for \(localhost, test, internal\); .*add its domain/)
  })

  it('renews a certificate when fewer than 30 days remain (clock moved), and not before', async () => {
    const before = (await engine.invoke('cert:list', {})).leaves[0]
    const expiry = new Date(before.notAfter).getTime()
    await engine.invoke('stack:stop', { id: 'demo' })
    clock = new Date(expiry - 31 * DAY)
    await engine.invoke('stack:start', { id: 'demo' })
    await engine.invoke('stack:stop', { id: 'demo' })
    expect((await engine.invoke('cert:list', {})).leaves[0].fingerprint).toBe(before.fingerprint)
    clock = new Date(expiry - 29 * DAY)
    await engine.invoke('stack:start', { id: 'demo' })
    const after = (await engine.invoke('cert:list', {})).leaves[0]
    expect(after.fingerprint).not.toBe(before.fingerprint)
    const logs = (await engine.invoke('log:tail', { stackId: 'demo', limit: 50 })).map((l) => l.text).join('\n')
    expect(logs).toContain('(it expires in 29 days)')
    await engine.invoke('stack:stop', { id: 'demo' })
    clock = new Date()
    await engine.invoke('cert:renew', { stackId: 'demo' })
  })

  it('renews the certificate of a stack that keeps running when its expiry comes close', async () => {
    onTestFinished(async () => {
      clock = new Date()
      await engine.invoke('stack:stop', { id: 'demo' })
      await engine.invoke('cert:renew', { stackId: 'demo' })
    })
    await engine.invoke('stack:start', { id: 'demo' })
    const before = (await engine.invoke('cert:list', {})).leaves.find((l) => l.stackId === 'demo')!
    expect(await engine.renewCertificates()).toEqual([])
    clock = new Date(new Date(before.notAfter).getTime() - 10 * DAY)
    expect(await engine.renewCertificates()).toEqual(['demo'])
    const after = (await engine.invoke('cert:list', {})).leaves.find((l) => l.stackId === 'demo')!
    expect(after.fingerprint).not.toBe(before.fingerprint)
    expect((await engine.invoke('stack:get', { id: 'demo' })).state).toBe('running')
    // The new certificate starts in the moved clock's "now", so only its identity is checked here.
    const served = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: httpsPort, servername: 'demo.localhost', rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate())
        s.end()
      })
      s.on('error', reject)
    })
    expect(served.fingerprint256).toBe(after.fingerprint)
  })

  it('exports a PFX that Node loads with its password and refuses without it', async () => {
    const { files } = await engine.invoke('cert:export', { stackId: 'demo', format: 'pfx', password: 'kestrel-pw' })
    const pfx = Buffer.from(files[0].content, 'base64')
    expect(() => tls.createSecureContext({ pfx, passphrase: 'kestrel-pw' })).not.toThrow()
    expect(() => tls.createSecureContext({ pfx, passphrase: 'wrong' })).toThrow(/mac verify failure/)
    await expect(engine.invoke('cert:export', { stackId: 'demo', format: 'pfx' })).rejects.toThrow(/needs a password/)
    const pem = await engine.invoke('cert:export', { stackId: 'demo', format: 'pem' })
    expect(pem.files.map((f) => f.name)).toEqual(['demo.cert.pem', 'demo.key.pem', 'demo.chain.pem'])
  })

  it.skipIf(!dotnet)('the exported PFX serves HTTPS from the Kestrel sample', async () => {
    const { files } = await engine.invoke('cert:export', { stackId: 'demo', format: 'pfx', password: 'kestrel-pw' })
    const pfxFile = path.join(home.dir, 'demo.pfx')
    fs.writeFileSync(pfxFile, Buffer.from(files[0].content, 'base64'))
    const port = await findFreePort()
    const app = spawn('dotnet', ['run', '--no-launch-profile', '--project', path.resolve('resources/samples/KestrelSample')], {
      env: { ...process.env, ASPNETCORE_URLS: `https://127.0.0.1:${port}`, Kestrel__Certificates__Default__Path: pfxFile, Kestrel__Certificates__Default__Password: 'kestrel-pw', DOTNET_NOLOGO: '1' },
      detached: true,
      stdio: 'ignore',
    })
    try {
      let res: { status: number; body: string } | undefined
      await waitFor(async () => {
        res = await httpsGet(port, 'localhost', caPem, '/').catch(() => undefined)
        return Boolean(res)
      }, 60_000, 'Kestrel to serve HTTPS')
      expect(res!.status).toBe(200)
      expect(JSON.parse(res!.body)).toMatchObject({ app: 'KestrelSample', scheme: 'https' })
    } finally {
      process.kill(-app.pid!, 'SIGTERM')
    }
  })

  it('imports a matching certificate, and refuses a key that does not match or an expired one', async () => {
    const ca = await LocalCA.create(path.join(home.dir, 'other-ca'))
    const good = await ca.issueLeaf(['demo.localhost', 'localhost'])
    const other = await ca.issueLeaf(['demo.localhost'])
    await expect(engine.invoke('cert:import', { stackId: 'demo', certPem: good.certPem, keyPem: other.keyPem })).rejects.toThrow('the private key does not match the certificate')
    const old = await ca.issueLeaf(['demo.localhost'], { now: new Date(Date.now() - 400 * DAY), validityDays: 30 })
    await expect(engine.invoke('cert:import', { stackId: 'demo', certPem: old.certPem, keyPem: old.keyPem })).rejects.toThrow(/the certificate expired on/)
    const narrow = await ca.issueLeaf(['other.localhost'])
    await expect(engine.invoke('cert:import', { stackId: 'demo', certPem: narrow.certPem, keyPem: narrow.keyPem })).rejects.toThrow('does not cover demo.localhost')
    const info = await engine.invoke('cert:import', { stackId: 'demo', certPem: good.certPem, keyPem: good.keyPem })
    expect(info.source).toBe('imported')
    await engine.invoke('stack:start', { id: 'demo' })
    expect((await httpsGet(httpsPort, 'demo.localhost', ca.certPem)).status).toBe(200)
    await engine.invoke('stack:stop', { id: 'demo' })
  })

  it('imports a PFX with its password, and says so when the password is wrong', async () => {
    const ca = await LocalCA.create(path.join(home.dir, 'pfx-ca'))
    const leaf = await ca.issueLeaf(['demo.localhost'], { keyKind: 'rsa-2048' })
    const pfx = await buildPfx({ certPem: leaf.certPem, keyPem: leaf.keyPem, chainPems: [ca.certPem], password: 'right', friendlyName: 'x' })
    await expect(engine.invoke('cert:import', { stackId: 'demo', pfxBase64: pfx.toString('base64'), password: 'wrong' })).rejects.toThrow('wrong PFX password')
    const info = await engine.invoke('cert:import', { stackId: 'demo', pfxBase64: pfx.toString('base64'), password: 'right' })
    expect(info).toMatchObject({ source: 'imported', fingerprint: new X509Certificate(leaf.certPem).fingerprint256 })
    await engine.invoke('stack:start', { id: 'demo' })
    expect((await httpsGet(httpsPort, 'demo.localhost', ca.certPem)).status).toBe(200)
    await engine.invoke('stack:stop', { id: 'demo' })
  })

  it('adding a permitted domain creates a new CA that signs for it', async () => {
    const before = await engine.invoke('cert:list', {})
    const ca = await engine.invoke('cert:set-domains', { domains: [...before.ca.permittedDomains, 'example.com'] })
    expect(ca.permittedDomains).toEqual(['localhost', 'test', 'internal', 'example.com'])
    expect(ca.fingerprint).not.toBe(before.ca.fingerprint)
    const view = await engine.invoke('stack:start', { id: 'shop' })
    expect(view.state).toBe('running')
    const shopHttps = view.stack.proxy.httpsPort!
    expect((await httpsGet(shopHttps, 'shop.example.com', fs.readFileSync(ca.certFile, 'utf8'))).status).toBe(200)
    await engine.invoke('stack:stop', { id: 'shop' })
    await expect(engine.invoke('cert:set-domains', { domains: ['bad domain'] })).rejects.toThrow(/domains\[0\] must be a host name/)
  })
})
