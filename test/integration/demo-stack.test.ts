import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort, isPortFree } from '../../src-main/core/supervisor/ports.js'
import { get } from '../support/http-client.js'
import { isAlive, waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'
import { engineWithDemo } from '../support/test-engine.js'

describe('the demo stack on the real engine', () => {
  const home = tempHome()
  let engine: Engine
  let port: number

  beforeAll(async () => {
    ;({ engine, demoPort: port } = await engineWithDemo(home.dir))
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
  })

  it('is created on first run and listed as stopped', async () => {
    const [demo] = await engine.invoke('stack:list', {})
    expect(demo.stack.id).toBe('demo')
    expect(demo.state).toBe('stopped')
    expect(demo.urls).toEqual([`http://demo.localhost:${port}/`])
  })

  it('starts two instances behind the proxy, and requests reach both', async () => {
    const states: string[] = []
    const processStates: string[] = []
    const off = engine.on('stack:state', (v) => states.push(v.state))
    const offProcess = engine.on('process:state', (p) => processStates.push(`${p.appServer}#${p.instance}:${p.state}`))
    const view = await engine.invoke('stack:start', { id: 'demo' })
    off()
    offProcess()
    expect(processStates.filter((s) => s.startsWith('web#1'))).toEqual(['web#1:starting', 'web#1:running'])
    expect(view.state).toBe('running')
    expect(states[0]).toBe('starting')
    expect(view.processes.map((p) => p.state)).toEqual(['running', 'running'])
    expect(view.processes.every((p) => p.readyAt! >= p.startedAt!)).toBe(true)

    const seen = new Set<number>()
    for (let i = 0; i < 4; i++) {
      const res = await get(port, '/api/whoami', `demo.localhost:${port}`)
      expect(res.status).toBe(200)
      const body = JSON.parse(res.body)
      seen.add(body.instance)
      expect(body.headers['x-forwarded-proto']).toBe('http')
      expect(body.headers['x-forwarded-for']).toBe('127.0.0.1')
      expect(body.headers.host).toBe(`demo.localhost:${port}`)
      expect(body.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-/)
    }
    expect([...seen].sort()).toEqual([1, 2])
  })

  it('records a trace per request, naming the instance that served it, and in an NDJSON file when asked', async () => {
    await get(port, '/hello?x=1', `demo.localhost:${port}`)
    // Traces come from the proxy's own process in batches.
    const latest = async () => {
      engine.telemetry.flush()
      return engine.invoke('trace:list', { stackId: 'demo', limit: 1 })
    }
    await waitFor(async () => (await latest())[0]?.path === '/hello?x=1', 2_000, 'the trace of /hello')
    const traces = await latest()
    expect(traces[0]).toMatchObject({ method: 'GET', host: 'demo.localhost', path: '/hello?x=1', status: 200 })
    expect(traces[0].upstream).toMatch(/^web#[12]$/)

    const { stack } = await engine.invoke('stack:get', { id: 'demo' })
    await engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, traceFile: true } } })
    await get(port, '/to-file', `demo.localhost:${port}`)
    const file = path.join(home.dir, 'traces', 'demo.ndjson')
    await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('/to-file'), 3000, 'the NDJSON trace')
    const line = JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n').at(-1)!)
    expect(line).toMatchObject({ path: '/to-file', status: 200, stackId: 'demo' })
    await engine.invoke('stack:save', { stack })
  })

  it('answers an unknown host with a 404 that lists the hosts it serves', async () => {
    const res = await get(port, '/', 'other.localhost')
    expect(res.status).toBe(404)
    expect(res.body).toContain('demo.localhost')
  })

  it('refuses to start a stack whose proxy port is taken, naming the port, the holder and the field', async () => {
    const otherHome = tempHome()
    const other = new Engine({ dataDir: otherHome.dir })
    await other.init()
    const blocked = await findFreePort()
    const blocker = net.createServer().listen(blocked, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    try {
      const demo = await other.invoke('stack:get', { id: 'demo' })
      await other.invoke('stack:save', { stack: { ...demo.stack, proxy: { ...demo.stack.proxy, httpPort: blocked } } })
      // This test process holds the port: the message names it by pid.
      await expect(other.invoke('stack:start', { id: 'demo' })).rejects.toThrow(
        new RegExp(`port ${blocked} on 127\\.0\\.0\\.1 is already in use by pid ${process.pid} \\(.+\\) \\(stack field proxy\\.httpPort\\)`),
      )
      expect((await other.invoke('stack:get', { id: 'demo' })).state).toBe('failed')

      // A fixed app-server port that is taken: named by its field, and nothing is left half-started.
      const free = await findFreePort()
      const web = demo.stack.appServers[0]
      await other.invoke('stack:save', { stack: { ...demo.stack, proxy: { ...demo.stack.proxy, httpPort: free }, appServers: [{ ...web, ports: [await findFreePort(), blocked] }] } })
      await expect(other.invoke('stack:start', { id: 'demo' })).rejects.toThrow(/is already in use by pid \d+ .*\(stack field appServers\[0\]\.ports\[1\]\)/)
      const failed = await other.invoke('stack:get', { id: 'demo' })
      expect(failed.state).toBe('failed')
      expect(failed.processes.filter((p) => p.state === 'running')).toEqual([])
      expect(await isPortFree(free)).toBe(true)
    } finally {
      blocker.close()
      await other.shutdown()
      otherHome.cleanup()
    }
  })

  it('stops: every process exits and every port closes', async () => {
    const running = await engine.invoke('stack:get', { id: 'demo' })
    const pids = running.processes.map((p) => p.pid!)
    const ports = [port, ...running.processes.map((p) => p.port)]
    const view = await engine.invoke('stack:stop', { id: 'demo' })
    expect(view.state).toBe('stopped')
    expect(view.processes.map((p) => p.state)).toEqual(['stopped', 'stopped'])
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, 'instance processes to exit')
    for (const p of ports) expect(await isPortFree(p)).toBe(true)
    await expect(connect(port)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('restarts an app server rolling (new instances on new ports, then the old ones drain) while requests keep succeeding', async () => {
    const before = await engine.invoke('stack:start', { id: 'demo' })
    let failures = 0
    let done = false
    let served = 0
    const load = (async () => {
      while (!done) {
        const res = await get(port, '/api/whoami', `demo.localhost:${port}`).catch(() => ({ status: 0 }))
        if (res.status === 200) served++
        else failures++
      }
    })()
    const after = await engine.invoke('appserver:restart', { stackId: 'demo', appServer: 'web' })
    done = true
    await load
    expect(after.processes.map((p) => p.port).filter((p) => before.processes.some((b) => b.port === p))).toEqual([])
    expect(after.processes.map((p) => p.pid).filter((p) => before.processes.some((b) => b.pid === p))).toEqual([])
    for (const old of before.processes) expect(isAlive(old.pid!)).toBe(false)
    expect(after.processes.every((p) => p.state === 'running')).toBe(true)
    expect(served).toBeGreaterThan(10)
    expect(failures).toBe(0)
    await expect(engine.invoke('appserver:restart', { stackId: 'demo', appServer: 'nope' })).rejects.toThrow('has no app server "nope"')
    await engine.invoke('stack:stop', { id: 'demo' })
  })

  it('applies a change to one app server of a running stack by restarting only that one', async () => {
    const { stack } = await engine.invoke('stack:get', { id: 'demo' })
    const withWorker = { ...stack, appServers: [...stack.appServers, { ...stack.appServers[0], name: 'worker', instances: 1 }] }
    await engine.invoke('stack:save', { stack: withWorker })
    const before = await engine.invoke('stack:start', { id: 'demo' })
    const pidsOf = (v: typeof before, app: string) => v.processes.filter((p) => p.appServer === app).map((p) => p.pid)
    const changed = { ...withWorker, appServers: [withWorker.appServers[0], { ...withWorker.appServers[1], env: { MODE: 'changed' } }] }
    const after = await engine.invoke('stack:save', { stack: changed })
    expect(after.lastChange).toBe('saved the stack: replaced worker rolling (new instances on new ports, then the old ones drained); reloaded the built-in proxy gracefully')
    expect(pidsOf(after, 'web')).toEqual(pidsOf(before, 'web'))
    expect(pidsOf(after, 'worker')).not.toEqual(pidsOf(before, 'worker'))
    expect(after.processes.every((p) => p.state === 'running')).toBe(true)
    const broken = { ...changed, appServers: [changed.appServers[0], { ...changed.appServers[1], command: '/nonexistent/program' }] }
    // The worker serves, so a replacement that does not start is refused: nothing changes, in memory or on disk.
    await expect(engine.invoke('stack:save', { stack: broken })).rejects.toThrow('the new instances did not start, so nothing changed and the old ones keep serving: demo/worker#1 could not start: program /nonexistent/program does not exist')
    const failed = await engine.invoke('stack:get', { id: 'demo' })
    expect(failed.processes.find((p) => p.appServer === 'worker')?.state).toBe('running')
    expect(pidsOf(failed, 'web')).toEqual(pidsOf(before, 'web'))
    expect(pidsOf(failed, 'worker')).toEqual(pidsOf(after, 'worker'))
    expect(failed.stack.appServers[1].env).toEqual({ MODE: 'changed' })
    expect(JSON.parse(fs.readFileSync(path.join(home.dir, 'stacks', 'demo.json'), 'utf8')).appServers[1].env).toEqual({ MODE: 'changed' })
    const removed = await engine.invoke('stack:save', { stack })
    expect(removed.lastChange).toContain('stopped worker (removed)')
    expect(removed.processes.map((p) => p.appServer)).toEqual(['web', 'web'])
    expect((await get(port, '/api/whoami', `demo.localhost:${port}`)).status).toBe(200)
    await engine.invoke('stack:stop', { id: 'demo' })
  })

  it('keeps auto ports stable across a restart, and across an engine restart', async () => {
    const first = await engine.invoke('stack:start', { id: 'demo' })
    await engine.invoke('stack:stop', { id: 'demo' })
    const second = await engine.invoke('stack:start', { id: 'demo' })
    expect(second.processes.map((p) => p.port)).toEqual(first.processes.map((p) => p.port))
    await engine.shutdown() // one engine per data directory
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
    const third = await engine.invoke('stack:start', { id: 'demo' })
    expect(third.processes.map((p) => p.port)).toEqual(first.processes.map((p) => p.port))
    await engine.invoke('stack:stop', { id: 'demo' })
  })

  it('rejects an invalid stack on save with the field named, and keeps the stored one', async () => {
    const demo = await engine.invoke('stack:get', { id: 'demo' })
    await expect(engine.invoke('stack:save', { stack: { ...demo.stack, proxy: { ...demo.stack.proxy, httpPort: 0 } } })).rejects.toThrow(/proxy\.httpPort must be between 1 and 65535/)
    expect((await engine.invoke('stack:get', { id: 'demo' })).stack.proxy.httpPort).toBe(port)
  })

  it('never creates a stack over another: a taken id, even of a file that failed to load, is refused with a free one offered', async () => {
    const demo = await engine.invoke('stack:get', { id: 'demo' })
    const newDemo = { ...demo.stack, name: 'Demo', appServers: [{ ...demo.stack.appServers[0], instances: 1 }] }
    await expect(engine.invoke('stack:save', { stack: newDemo, create: true })).rejects.toThrow('"demo" is taken by another stack; pick another id, e.g. "demo-2"')
    expect((await engine.invoke('stack:get', { id: 'demo' })).stack.appServers[0].instances).toBe(demo.stack.appServers[0].instances)
    const brokenFile = path.join(home.dir, 'stacks', 'broken.json')
    fs.writeFileSync(brokenFile, '{ "id": "broken", oops')
    await expect(engine.invoke('stack:save', { stack: { ...newDemo, id: 'broken' }, create: true })).rejects.toThrow('"broken" is taken')
    expect(fs.readFileSync(brokenFile, 'utf8')).toBe('{ "id": "broken", oops')
    fs.rmSync(brokenFile)
  })

  it('deletes a stopped stack (and refuses while it runs), telling every face', async () => {
    const { stack } = await engine.invoke('stack:get', { id: 'demo' })
    await engine.invoke('stack:save', { stack: { ...stack, id: 'scratch', name: 'Scratch', proxy: { ...stack.proxy, httpPort: await findFreePort() } } })
    await engine.invoke('stack:start', { id: 'scratch' })
    await expect(engine.invoke('stack:delete', { id: 'scratch' })).rejects.toThrow('stack "scratch" is running; stop it before deleting it')
    await engine.invoke('stack:stop', { id: 'scratch' })
    const deleted: string[] = []
    const off = engine.on('stack:deleted', ({ id }) => deleted.push(id))
    expect(await engine.invoke('stack:delete', { id: 'scratch' })).toEqual({ id: 'scratch' })
    off()
    expect(deleted).toEqual(['scratch'])
    expect(fs.existsSync(path.join(home.dir, 'stacks', 'scratch.json'))).toBe(false)
    expect((await engine.invoke('stack:list', {})).map((v) => v.stack.id)).toEqual(['demo'])
    await expect(engine.invoke('stack:get', { id: 'scratch' })).rejects.toThrow('no stack "scratch"')
  })
})


function connect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.destroy()
      resolve()
    })
    s.on('error', reject)
  })
}
