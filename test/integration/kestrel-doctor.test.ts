import path from 'node:path'
import https from 'node:https'
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr'
import { describe, expect, it } from 'vitest'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { requireBinary } from '../support/binaries.js'
import { waitFor } from '../support/processes.js'
import { demoEngineSuite } from '../support/test-engine.js'

const dotnet = requireBinary('dotnet')
const sample = path.resolve('resources/samples/KestrelSample')

/**
 * The doctor's findings reproduced with the real Kestrel sample and real clients we did not write:
 * its SignalR hub (Microsoft.AspNetCore.SignalR) reached by the official JavaScript client, and an
 * absolute redirect built from Request.Scheme.
 */
describe.skipIf(!dotnet)('the doctor, with the real Kestrel sample', () => {
  const demo = demoEngineSuite()

  /** Opens a SignalR connection over WebSockets as a browser would (negotiate, then connect) and calls the hub once. */
  const connect = async (url: string): Promise<string> => {
    const connection = new HubConnectionBuilder().withUrl(url, { transport: HttpTransportType.WebSockets }).configureLogging(LogLevel.None).build()
    try {
      await connection.start()
      return await connection.invoke<string>('Echo', 'hi')
    } catch (e) {
      return `failed: ${(e as Error).message}`
    } finally {
      await connection.stop()
    }
  }

  it('a SignalR hub with two round-robin instances: 0 of 10 connections work, the doctor says why, and sticky makes 10 of 10 work', async () => {
    const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
    const httpPort = await findFreePort()
    const stack = { id: 'kestrel-hub', name: 'Hub', hostnames: ['localhost'], appServers: [{ ...appServer, instances: 2, dotnetMode: 'build-once' as const }], routes: [{ appServer: appServer.name }], proxy: { httpPort } }
    await demo.engine.invoke('stack:save', { stack })
    await demo.engine.invoke('stack:start', { id: 'kestrel-hub' })
    const hub = `http://localhost:${httpPort}/hub`

    const lost: string[] = []
    for (let i = 0; i < 10; i++) lost.push(await connect(hub))
    expect(lost.filter((r) => !r.startsWith('failed'))).toEqual([])
    // Traces cross from the built-in proxy's own process in batches (every 50 ms): the doctor is asked again until the lost connections' traces are in.
    const diagnose = async () => (await demo.engine.invoke('stack:doctor', { id: 'kestrel-hub' })).findings.find((f) => f.id === 'signalr-without-sticky')
    let finding: Awaited<ReturnType<typeof diagnose>>
    // On a timeout the expectation below says what the engine had instead.
    await waitFor(async () => (finding = await diagnose()) !== undefined, 5_000, 'the doctor to find signalr-without-sticky').catch(() => undefined)
    const seen = demo.engine.telemetry.tailTraces(40, 'kestrel-hub').map((t) => `${t.method} ${t.path} → ${t.status} ${t.upstream ?? ''} ${t.error ?? ''}`)
    const logged = demo.engine.telemetry.tailLogs(30, 'kestrel-hub').map((l) => `${l.source}: ${l.text}`)
    expect(finding, `no finding after 10 lost connections (${lost[0]}); the stack's traces: ${JSON.stringify(seen)}; its log: ${JSON.stringify(logged)}`).toBeDefined()
    expect(finding?.fix).toContain('"sticky"')
    expect(finding?.evidence[0]).toMatch(/^trace \S+: GET \/hub\?id=\S+ → 404 \(after a negotiate on another instance\)$/)

    await demo.engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, loadBalancing: 'sticky' as const } } })
    const kept: string[] = []
    for (let i = 0; i < 10; i++) kept.push(await connect(hub))
    expect(kept.filter((r) => /^hi from [12]$/.test(r))).toHaveLength(10)
    // Still balanced: each new client (no cookie yet) may land on either instance.
    expect(new Set(kept).size).toBe(2)
    expect((await demo.engine.invoke('stack:doctor', { id: 'kestrel-hub' })).findings.some((f) => f.id === 'signalr-without-sticky')).toBe(false)
    await demo.engine.invoke('stack:stop', { id: 'kestrel-hub' })
  }, 180_000)

  it('an app that does not apply the forwarded headers redirects an HTTPS request to http://; the doctor names it, and the fix makes it go', async () => {
    const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
    const [httpPort, httpsPort] = [await findFreePort(), await findFreePort()]
    const env = (appServer as { env?: Record<string, string> }).env ?? {}
    const stack = (forwarded: boolean) => ({
      id: 'kestrel-scheme',
      name: 'Scheme',
      hostnames: ['localhost'],
      appServers: [{ ...appServer, dotnetMode: 'build-once' as const, env: forwarded ? env : { ...env, ASPNETCORE_FORWARDEDHEADERS_ENABLED: 'false' } }],
      routes: [{ appServer: appServer.name }],
      proxy: { httpPort, httpsPort, redirectToHttps: false },
    })
    const ca = (await demo.engine.certificates.ca()).certPem
    const signin = () =>
      new Promise<string | undefined>((resolve, reject) =>
        https.get({ host: '127.0.0.1', port: httpsPort, path: '/signin', servername: 'localhost', headers: { host: `localhost:${httpsPort}` }, ca, agent: false }, (res) => (res.resume(), resolve(res.headers.location))).on('error', reject),
      )

    await demo.engine.invoke('stack:save', { stack: stack(false) })
    await demo.engine.invoke('stack:start', { id: 'kestrel-scheme' })
    expect(await signin()).toBe(`http://localhost:${httpsPort}/welcome`)
    await new Promise((r) => setTimeout(r, 200))
    const finding = (await demo.engine.invoke('stack:doctor', { id: 'kestrel-scheme' })).findings.find((f) => f.id === 'redirect-to-http')
    expect(finding?.evidence[0]).toMatch(new RegExp(`^trace \\S+: GET /signin → 302 \\(Location http://localhost:${httpsPort}/welcome\\)$`))
    expect(finding?.fix).toContain('ASPNETCORE_FORWARDEDHEADERS_ENABLED=true')

    // The fix: leave ASPNETCORE_FORWARDEDHEADERS_ENABLED to Aerie (true), and the app sees https.
    await demo.engine.invoke('stack:save', { stack: stack(true) })
    await demo.engine.invoke('stack:start', { id: 'kestrel-scheme' })
    expect(await signin()).toBe(`https://localhost:${httpsPort}/welcome`)
    await demo.engine.invoke('stack:stop', { id: 'kestrel-scheme' })
  }, 180_000)
})
