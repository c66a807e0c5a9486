import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { requireBinary } from '../support/binaries.js'
import { get } from '../support/http-client.js'
import { processesMatching, waitFor } from '../support/processes.js'
import { demoEngineSuite } from '../support/test-engine.js'

const dotnet = requireBinary('dotnet')
const sample = path.resolve('resources/samples/KestrelSample')

describe.skipIf(!dotnet)('Kestrel apps (the sample project, real dotnet)', () => {
  const demo = demoEngineSuite()

  it('proposes an app server from the project folder and its launchSettings.json', async () => {
    const { appServer, notes, profiles } = await demo.engine.invoke('appserver:detect', { folder: sample })
    expect(profiles).toEqual(['http', 'https'])
    expect(appServer).toMatchObject({ name: 'kestrelsample', kind: 'dotnet', project: path.join(sample, 'KestrelSample.csproj') })
    expect(appServer.env).toEqual({ ASPNETCORE_ENVIRONMENT: 'Development', Greeting: 'Hello from the launch profile' })
    expect(notes[0]).toContain('http://localhost:5080')
    await expect(demo.engine.invoke('appserver:detect', { folder: path.resolve('resources') })).rejects.toThrow(/holds no \.csproj/)
  })

  for (const mode of ['run', 'build-once'] as const) {
    it(`runs two instances (${mode}) behind the proxy with their own ports, and stop leaves no dotnet process`, async () => {
      const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
      const port = await findFreePort()
      const id = `kestrel-${mode}`
      await demo.engine.invoke('stack:save', {
        stack: { id, name: `Kestrel ${mode}`, hostnames: ['kestrel.localhost'], appServers: [{ ...appServer, instances: 2, dotnetMode: mode }], routes: [{ appServer: appServer.name }], proxy: { httpPort: port } },
      })
      const activities: string[] = []
      const off = demo.engine.on('stack:state', (v) => void (v.stack.id === id && v.activity && activities.push(v.activity)))
      const view = await demo.engine.invoke('stack:start', { id })
      off()
      expect(view.state).toBe('running')
      // The build is shown while it runs, and gone once the stack runs.
      expect(activities[0]).toMatch(/^building [\w-]+ \(dotnet build; its output is under [\w-]+:build in Logs\)$/)
      expect(view.activity).toBeUndefined()
      const ports = view.processes.map((p) => p.port)
      expect(new Set(ports).size).toBe(2)

      const answers = []
      for (let i = 0; i < 2; i++) {
        const res = await get(port, '/', `kestrel.localhost:${port}`)
        expect(res.status).toBe(200)
        answers.push(JSON.parse(res.body))
      }
      expect(answers.map((a) => a.instance).sort()).toEqual(['1', '2'])
      expect(answers.map((a) => a.port).sort()).toEqual([...ports].sort())
      for (const a of answers) {
        expect(a).toMatchObject({ app: 'KestrelSample', environment: 'Development', greeting: 'Hello from the launch profile', scheme: 'http', host: `kestrel.localhost:${port}` })
      }

      await demo.engine.invoke('stack:stop', { id })
      await waitFor(() => processesMatching('KestrelSample').length === 0, 10_000, 'every dotnet process of the sample to exit')
    })
  }

  it('mounted under /api with stripPrefix, the app gets / and the links it makes carry /api (it applies X-Forwarded-Prefix)', async () => {
    const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
    const port = await findFreePort()
    await demo.engine.invoke('stack:save', {
      stack: { id: 'kestrel-mounted', name: 'Kestrel mounted', hostnames: ['kestrel.localhost'], appServers: [{ ...appServer, dotnetMode: 'build-once' }], routes: [{ pathPrefix: '/api', appServer: appServer.name, stripPrefix: true }], proxy: { httpPort: port } },
    })
    await demo.engine.invoke('stack:start', { id: 'kestrel-mounted' })
    const res = await get(port, '/api', `kestrel.localhost:${port}`)
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ app: 'KestrelSample', pathBase: '/api', healthLink: `http://kestrel.localhost:${port}/api/healthz` })
    expect((await get(port, '/api/healthz', `kestrel.localhost:${port}`)).status).toBe(200)
    await demo.engine.invoke('stack:stop', { id: 'kestrel-mounted' })
  })

  it('refuses a missing project folder, and reports a failed build with the compiler output', async () => {
    const save = async (id: string, project: string) =>
      demo.engine.invoke('stack:save', {
        stack: { id, name: id, hostnames: [`${id}.localhost`], appServers: [{ name: 'app', kind: 'dotnet', project }], routes: [{ appServer: 'app' }], proxy: { httpPort: await findFreePort() } },
      })
    await save('kestrel-missing', path.join(demo.home.dir, 'nope'))
    await expect(demo.engine.invoke('stack:start', { id: 'kestrel-missing' })).rejects.toThrow(/nope does not exist/)

    const broken = path.join(demo.home.dir, 'Broken')
    fs.cpSync(sample, broken, { recursive: true, filter: (src) => !/[/\\](bin|obj)$/.test(src) })
    fs.appendFileSync(path.join(broken, 'Program.cs'), '\nthis is not C#\n')
    await save('kestrel-broken', broken)
    await expect(demo.engine.invoke('stack:start', { id: 'kestrel-broken' })).rejects.toThrow(/dotnet build failed \(exit code 1\):[\s\S]*error CS/)
    const view = await demo.engine.invoke('stack:get', { id: 'kestrel-broken' })
    expect(view.state).toBe('failed')
    expect(view.processes).toEqual([])
  })
  it("trusts Aerie's CA and knows the HTTPS port with no setting: it calls its own public HTTPS URL, and UseHttpsRedirection redirects", async () => {
    const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
    const [httpPort, httpsPort] = [await findFreePort(), await findFreePort()]
    const stack = { id: 'kestrel-self', name: 'Self', hostnames: ['localhost'], appServers: [{ ...appServer, dotnetMode: 'build-once' as const }], routes: [{ appServer: appServer.name }], proxy: { httpPort, httpsPort, redirectToHttps: false } }
    await demo.engine.invoke('stack:save', { stack })
    await demo.engine.invoke('stack:start', { id: 'kestrel-self' })
    const self = `https://localhost:${httpsPort}/healthz`
    const fetched = await get(httpPort, `/fetch?url=${encodeURIComponent(self)}`, `localhost:${httpPort}`)
    expect(JSON.parse(fetched.body)).toEqual({ status: 200 })
    // ASPNETCORE_HTTPS_PORT: the app's own redirect names the proxy's HTTPS port.
    const plain = await get(httpPort, '/secure-only', `localhost:${httpPort}`)
    expect(plain.status).toBe(307)
    expect(plain.headers.location).toBe(`https://localhost:${httpsPort}/secure-only`)
    await demo.engine.invoke('stack:stop', { id: 'kestrel-self' })

    // A value the user set is theirs: with the system's roots only, the call fails as it would without Aerie.
    await demo.engine.invoke('stack:save', { stack: { ...stack, appServers: [{ ...stack.appServers[0], env: { ...((stack.appServers[0] as { env?: Record<string, string> }).env ?? {}), SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' } }] } })
    await demo.engine.invoke('stack:start', { id: 'kestrel-self' })
    const refused = await get(httpPort, `/fetch?url=${encodeURIComponent(self)}`, `localhost:${httpPort}`)
    expect(JSON.parse(refused.body).error).toMatch(/UntrustedRoot|remote certificate is invalid|certificate/i)
    await demo.engine.invoke('stack:stop', { id: 'kestrel-self' })
  }, 120_000)
  it('the doctor finds UseHttpsRedirection without an HTTPS port in the real app\'s log, and the fix (an HTTPS port) makes it go', async () => {
    const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
    const httpPort = await findFreePort()
    const stack = { id: 'kestrel-doctor', name: 'Doctor', hostnames: ['localhost'], appServers: [{ ...appServer, dotnetMode: 'build-once' as const }], routes: [{ appServer: appServer.name }], proxy: { httpPort } }
    await demo.engine.invoke('stack:save', { stack })
    await demo.engine.invoke('stack:start', { id: 'kestrel-doctor' })
    expect((await get(httpPort, '/secure-only', `localhost:${httpPort}`)).status).toBe(200)
    await waitFor(async () => (await demo.engine.invoke('stack:doctor', { id: 'kestrel-doctor' })).findings.length > 0, 10_000, 'the finding')
    const [finding] = (await demo.engine.invoke('stack:doctor', { id: 'kestrel-doctor' })).findings
    expect(finding).toMatchObject({ id: 'https-port-unknown', fix: expect.stringContaining('ASPNETCORE_HTTPS_PORT') })
    expect(finding.evidence[0]).toMatch(/Failed to determine the https port for redirect/)
    await demo.engine.invoke('stack:stop', { id: 'kestrel-doctor' })
  }, 120_000)
  it('the doctor names a Kestrel app that listens on a port of its own choosing (an appsettings-style endpoint overrides ASPNETCORE_URLS)', async () => {
    const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
    const elsewhere = await findFreePort()
    const env = { ...((appServer as { env?: Record<string, string> }).env ?? {}), Kestrel__Endpoints__Http__Url: `http://127.0.0.1:${elsewhere}` }
    const stack = { id: 'kestrel-port', name: 'Port', hostnames: ['localhost'], appServers: [{ ...appServer, env, dotnetMode: 'build-once' as const, readiness: { kind: 'tcp' as const, timeoutMs: 4_000 } }], routes: [{ appServer: appServer.name }], proxy: { httpPort: await findFreePort() } }
    await demo.engine.invoke('stack:save', { stack })
    await expect(demo.engine.invoke('stack:start', { id: 'kestrel-port' })).rejects.toThrow()
    const finding = (await demo.engine.invoke('stack:doctor', { id: 'kestrel-port' })).findings.find((f) => f.id === 'wrong-port')
    expect(finding?.evidence[0]).toMatch(new RegExp(`Now listening on: http://127\\.0\\.0\\.1:${elsewhere} \\(given port \\d+\\)$`))
    expect(finding?.fix).toContain('ASPNETCORE_URLS')
  }, 120_000)
})
