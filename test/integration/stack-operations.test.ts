import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StackView } from '../../src-main/contract.js'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import type { Stack } from '../../src-main/core/stacks/stack-schema.js'
import { requireBinary } from '../support/binaries.js'
import { get } from '../support/http-client.js'
import { isAlive, processesMatching, waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'

const SERVER = `require('http').createServer((q,r)=>r.end('instance '+process.env.INSTANCE+' '+(process.env.APP_MODE||''))).listen(process.env.PORT,'127.0.0.1')`

describe('operations on one stack', () => {
  const home = tempHome()
  let engine: Engine
  const onDisk = (id: string) => JSON.parse(fs.readFileSync(path.join(home.dir, 'stacks', `${id}.json`), 'utf8')) as Stack

  async function create(id: string, overrides: Partial<Stack> & Record<string, unknown> = {}): Promise<Stack> {
    const input = {
      id,
      name: id,
      hostnames: [`${id}.localhost`],
      appServers: [{ name: 'web', command: '{node}', args: ['-e', SERVER], instances: 1, stopGraceMs: 2000 }],
      routes: [{ appServer: 'web' }],
      proxy: { httpPort: await findFreePort() },
      ...overrides,
    }
    return (await engine.invoke('stack:save', { stack: input, create: true })).stack
  }

  beforeAll(async () => {
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
  })

  it('runs a save and a stop 30 ms later one after the other: no raw error, and memory, disk and processes agree', async () => {
    const stack = await create('race')
    const started = await engine.invoke('stack:start', { id: 'race' })
    const save = engine.invoke('stack:save', { stack: { ...stack, appServers: [{ ...stack.appServers[0], env: { APP_MODE: 'saved' } }] } })
    await new Promise((r) => setTimeout(r, 30))
    const stop = engine.invoke('stack:stop', { id: 'race' })
    const [saved, stopped] = await Promise.all([save, stop])
    expect(saved.lastChange).toContain('replaced web rolling')
    expect(stopped.state).toBe('stopped')
    const pids = [...started.processes, ...saved.processes].map((p) => p.pid!)
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, 'every instance to end')
    expect(onDisk('race').appServers[0].env).toEqual({ APP_MODE: 'saved' })
    expect((await engine.invoke('stack:get', { id: 'race' })).stack.appServers[0].env).toEqual({ APP_MODE: 'saved' })
  })

  it('survives 40 interleaved operations fired at once: each settles with a worded error or a result, and the end state is consistent', async () => {
    const stack = await create('storm', { appServers: [{ name: 'web', command: '{node}', args: ['-e', SERVER], instances: 2, stopGraceMs: 2000 }] as Stack['appServers'] })
    let seed = 7
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    const ops: Promise<unknown>[] = []
    const seen = new Set<number>()
    for (let i = 0; i < 40; i++) {
      const pick = Math.floor(random() * 6)
      const op =
        pick === 0
          ? engine.invoke('stack:start', { id: 'storm' })
          : pick === 1
            ? engine.invoke('stack:stop', { id: 'storm' })
            : pick === 2
              ? engine.invoke('stack:restart', { id: 'storm' })
              : pick === 3
                ? engine.invoke('appserver:restart', { stackId: 'storm', appServer: 'web' })
                : pick === 4
                  ? engine.invoke('stack:save', { stack: { ...stack, appServers: [{ ...stack.appServers[0], env: { APP_MODE: `m${i}` } }] } })
                  : engine.invoke('stack:save', { stack: { ...stack, appServers: [{ ...stack.appServers[0], instances: 1 + (i % 3) }] } })
      ops.push(op.then((v) => (v as StackView).processes?.forEach((p) => p.pid && seen.add(p.pid))))
    }
    const results = await Promise.allSettled(ops)
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []))
    for (const message of errors) expect(message).not.toMatch(/TypeError|Cannot read properties|undefined/)
    for (const message of errors) expect(message).toMatch(/start it first/)
    const final = await engine.invoke('stack:get', { id: 'storm' })
    expect(JSON.stringify(onDisk('storm'))).toBe(JSON.stringify(final.stack))
    const live = final.processes.map((p) => p.pid)
    if (final.state === 'stopped') expect(final.processes.every((p) => p.state === 'stopped')).toBe(true)
    else {
      expect(final.state).toBe('running')
      expect(final.processes).toHaveLength(final.stack.appServers[0].instances)
      expect((await get(final.stack.proxy.httpPort, '/', 'storm.localhost')).status).toBe(200)
    }
    // Nothing runs that the stack does not show.
    await waitFor(() => [...seen].filter((pid) => !live.includes(pid)).every((pid) => !isAlive(pid)), 8000, 'replaced instances to end')
    await engine.invoke('stack:stop', { id: 'storm' })
  }, 120_000)

  it('derives the state from the instances: degraded while one does not serve, down when none does', async () => {
    const app = `if(process.env.INSTANCE==='2'||process.env.APP_MODE==='all')setTimeout(()=>process.exit(3),400);${SERVER}`
    const stack = await create('derived', { appServers: [{ name: 'web', command: '{node}', args: ['-e', app], instances: 2, restart: 'never' }] as Stack['appServers'] })
    await engine.invoke('stack:start', { id: 'derived' })
    await waitFor(async () => (await engine.invoke('stack:get', { id: 'derived' })).state === 'degraded', 5000, 'the stack to be degraded')
    await engine.invoke('stack:stop', { id: 'derived' })
    await engine.invoke('stack:save', { stack: { ...stack, appServers: [{ ...stack.appServers[0], env: { APP_MODE: 'all' } }] } })
    await engine.invoke('stack:start', { id: 'derived' })
    await waitFor(async () => (await engine.invoke('stack:get', { id: 'derived' })).state === 'down', 5000, 'the stack to be down')
    const view = await engine.invoke('stack:get', { id: 'derived' })
    expect(view.processes.map((p) => p.state)).toEqual(['crashed', 'crashed'])
    await engine.invoke('stack:stop', { id: 'derived' })
  })

  it('stops the whole tree, including a child that left the process group with setsid', async () => {
    const marker = `aerie-setsid-${Date.now()}`
    const script = `setsid ${process.execPath} -e 'setInterval(()=>{},1000)/*${marker}-detached*/' & exec ${process.execPath} -e "${SERVER.replaceAll('"', '\\"')}/*${marker}*/"`
    await create('tree', { appServers: [{ name: 'web', command: 'sh', args: ['-c', script], instances: 1 }] as Stack['appServers'] })
    await engine.invoke('stack:start', { id: 'tree' })
    await waitFor(() => processesMatching(`${marker}-detached`).length === 1, 5000, 'the detached child')
    const detached = processesMatching(`${marker}-detached`)[0]
    expect(fs.readFileSync(`/proc/${detached}/stat`, 'utf8')).toBeDefined()
    await engine.invoke('stack:stop', { id: 'tree' })
    await waitFor(() => !isAlive(detached), 5000, 'the detached child to be stopped with its stack')
    expect(processesMatching(marker)).toEqual([])
  })

  it('deleting a stack removes everything that was its own in the data directory', async () => {
    await create('gone', { proxy: { httpPort: await findFreePort(), httpsPort: await findFreePort(), traceFile: true } as Stack['proxy'] })
    await engine.invoke('stack:start', { id: 'gone' })
    await get((await engine.invoke('stack:get', { id: 'gone' })).stack.proxy.httpPort, '/', 'gone.localhost')
    await engine.invoke('stack:export', { id: 'gone', to: 'nginx', params: {} })
    await engine.invoke('stack:stop', { id: 'gone' })
    const artifacts = ['run/ports-gone.json', 'logs/gone', 'traces/gone.ndjson', 'exports/gone', 'certs/gone'].map((p) => path.join(home.dir, p))
    await waitFor(() => artifacts.every((a) => fs.existsSync(a)), 5000, `every artifact to exist before the delete (missing: ${artifacts.filter((a) => !fs.existsSync(a)).join(', ')})`)
    await engine.invoke('stack:delete', { id: 'gone' })
    expect(artifacts.filter((a) => fs.existsSync(a))).toEqual([])
    expect(fs.existsSync(path.join(home.dir, 'stacks', 'gone.json'))).toBe(false)
  })

  it('stops, starts and restarts one instance by hand: the stack is degraded meanwhile and the proxy serves from the other', async () => {
    const stack = await create('hand', { appServers: [{ name: 'web', command: '{node}', args: ['-e', SERVER], instances: 2, stopGraceMs: 2000 }] as Stack['appServers'] })
    const started = await engine.invoke('stack:start', { id: 'hand' })
    const second = started.processes.find((p) => p.instance === 2)!
    const stopped = await engine.invoke('instance:control', { stackId: 'hand', instance: 'web#2', action: 'stop' })
    expect(stopped.processes.find((p) => p.instance === 2)!.state).toBe('stopped')
    expect(stopped.state).toBe('degraded')
    await waitFor(() => !isAlive(second.pid!), 5000, 'web#2 to end')
    for (let i = 0; i < 4; i++) expect((await get(stack.proxy.httpPort, '/', 'hand.localhost')).body).toBe('instance 1 ')
    const back = await engine.invoke('instance:control', { stackId: 'hand', instance: 'web#2', action: 'start' })
    expect(back.state).toBe('running')
    const restarted = await engine.invoke('instance:control', { stackId: 'hand', instance: 'web#1', action: 'restart' })
    expect(restarted.processes.find((p) => p.instance === 1)!.pid).not.toBe(started.processes.find((p) => p.instance === 1)!.pid)
    await expect(engine.invoke('instance:control', { stackId: 'hand', instance: 'web#3', action: 'stop' })).rejects.toThrow('stack "hand" has no running instance "web#3"')
    await engine.invoke('stack:stop', { id: 'hand' })
    await expect(engine.invoke('instance:control', { stackId: 'hand', instance: 'web#1', action: 'start' })).rejects.toThrow(/start it first|no running instance/)
  })

  it("a failed start's error goes once the stack is saved again (it was about the stack before the fix)", async () => {
    const blocker = http.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    const taken = (blocker.address() as AddressInfo).port
    const stack = await create('fixme', { proxy: { httpPort: taken } } as Partial<Stack>)
    await expect(engine.invoke('stack:start', { id: 'fixme' })).rejects.toThrow(String(taken))
    expect((await engine.invoke('stack:get', { id: 'fixme' })).error).toContain(String(taken))
    const saved = await engine.invoke('stack:save', { stack: { ...stack, proxy: { ...stack.proxy, httpPort: await findFreePort() } } })
    expect(saved.state).toBe('stopped')
    expect(saved.error).toBeUndefined()
    blocker.close()
  })

  it("a Node instance trusts Aerie's CA (NODE_EXTRA_CA_CERTS): it calls the stack's own HTTPS URL without a certificate error", async () => {
    const httpsPort = await findFreePort()
    // Answers / with what it got back from its own public HTTPS URL.
    const app = `const https=require('https');require('http').createServer((q,r)=>{if(q.url!=='/self')return r.end('ok');https.get('https://localhost:${httpsPort}/',(s)=>{s.resume();r.end('status '+s.statusCode)}).on('error',(e)=>r.end('error '+e.message))}).listen(process.env.PORT,'127.0.0.1')`
    const stack = await create('selfcall', { hostnames: ['localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', app] }], proxy: { httpPort: await findFreePort(), httpsPort, redirectToHttps: false } } as Partial<Stack>)
    await engine.invoke('stack:start', { id: 'selfcall' })
    expect((await get(stack.proxy.httpPort, '/self', 'localhost')).body).toBe('status 200')
    await engine.invoke('stack:stop', { id: 'selfcall' })
  })

  it('warns, on the card and in the log, about a host name the system resolver does not find, with the fix', async () => {
    const stack = await create('unresolved', { hostnames: ['never-resolves-aerie.invalid'] })
    await engine.invoke('stack:start', { id: 'unresolved' })
    await waitFor(async () => Boolean((await engine.invoke('stack:get', { id: 'unresolved' })).warnings), 15_000, 'the name check')
    const { warnings } = await engine.invoke('stack:get', { id: 'unresolved' })
    expect(warnings).toEqual([expect.stringMatching(/^never-resolves-aerie\.invalid does not resolve on this machine .*`aerie hosts apply` maps the stacks' names to 127\.0\.0\.1/)])
    expect((await get(stack.proxy.httpPort, '/', 'never-resolves-aerie.invalid')).status).toBe(200)
    await engine.invoke('stack:stop', { id: 'unresolved' })
  })
})

describe.runIf(requireBinary('nginx'))('a change the proxy refuses', () => {
  const home = tempHome()
  let engine: Engine
  const wrapper = path.join(home.dir, 'nginx-refusing')

  beforeAll(async () => {
    // The real nginx, whose config test also refuses a config that names refuse.localhost (a fault the real one has no switch for).
    fs.writeFileSync(
      wrapper,
      `#!/bin/sh\nfor a in "$@"; do if [ "$a" = "-t" ]; then for f in "$@"; do [ -f "$f" ] && grep -q refuse.localhost "$f" && { echo "nginx: [emerg] refused for the test in $f:1" >&2; exit 1; }; done; fi; done\nexec ${requireBinary('nginx')} "$@"\n`,
      { mode: 0o755 },
    )
    process.env.AERIE_NGINX = wrapper
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
  })
  afterAll(async () => {
    delete process.env.AERIE_NGINX
    await engine.shutdown()
    home.cleanup()
  })

  it('changes nothing: the instances keep running, the proxy keeps its config, memory and disk keep the old stack', async () => {
    const port = await findFreePort()
    const input = { id: 'ref', name: 'Ref', hostnames: ['ref.localhost'], appServers: [{ name: 'web', command: '{node}', args: ['-e', SERVER], instances: 2 }], routes: [{ appServer: 'web' }], proxy: { kind: 'nginx', httpPort: port } }
    const { stack } = await engine.invoke('stack:save', { stack: input, create: true })
    const before = await engine.invoke('stack:start', { id: 'ref' })
    const refused = { ...stack, hostnames: ['ref.localhost', 'refuse.localhost'], appServers: [{ ...stack.appServers[0], env: { APP_MODE: 'new' } }] }
    await expect(engine.invoke('stack:save', { stack: refused })).rejects.toThrow(/nginx refused the generated config .*refused for the test/)
    const after = await engine.invoke('stack:get', { id: 'ref' })
    expect(after.processes.map((p) => p.pid)).toEqual(before.processes.map((p) => p.pid))
    expect(after.stack).toEqual(stack)
    expect(JSON.parse(fs.readFileSync(path.join(home.dir, 'stacks', 'ref.json'), 'utf8'))).toEqual(stack)
    expect((await get(port, '/', 'ref.localhost')).body).toMatch(/^instance \d $/)
    await engine.invoke('stack:stop', { id: 'ref' })
    // A real proxy's folder goes with its stack.
    expect(fs.existsSync(path.join(home.dir, 'proxies', 'ref', 'nginx'))).toBe(true)
    await engine.invoke('stack:delete', { id: 'ref' })
    expect(fs.existsSync(path.join(home.dir, 'proxies', 'ref'))).toBe(false)
  })
})
