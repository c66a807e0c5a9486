import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { isAlive, processesMatching, waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'

const home = tempHome()
afterAll(() => home.cleanup())

describe('orphan reaping', () => {
  it('after kill -9 of the engine, the next engine start stops the survivors it started, and nothing else', async () => {
    const marker = `aerie-reap-${Date.now()}`
    // Ignores SIGHUP, so it outlives the pty that a killed engine leaves behind.
    const app = `process.on('SIGHUP',()=>{});require('http').createServer((q,r)=>r.end('ok')).listen(process.env.PORT,'127.0.0.1');/*${marker}*/`
    fs.mkdirSync(path.join(home.dir, 'stacks'), { recursive: true })
    fs.writeFileSync(path.join(home.dir, '.initialized'), 'test\n')
    fs.writeFileSync(
      path.join(home.dir, 'stacks', 'hup.json'),
      JSON.stringify({
        id: 'hup',
        name: 'Hup',
        hostnames: ['hup.localhost'],
        appServers: [
          { name: 'app', command: process.execPath, args: ['-e', app], instances: 2 },
          // Through a shell that execs (argv[0] is no longer the recorded command), with a child that left the group by setsid.
          { name: 'shell', command: 'sh', args: ['-c', `setsid ${process.execPath} -e 'setInterval(()=>{},1000)/*${marker}-detached*/' & exec ${process.execPath} -e "${app}"`], instances: 1 },
        ],
        routes: [{ appServer: 'app' }],
        proxy: { httpPort: await findFreePort() },
      }),
    )
    const cli = spawn(process.execPath, [path.resolve('bin/aerie.js'), 'start', 'hup'], { env: { ...process.env, AERIE_HOME: home.dir } })
    let out = ''
    cli.stdout.on('data', (d) => (out += d))
    await waitFor(() => out.includes('Press Ctrl-C'), 20_000, 'the stack to start')
    await waitFor(() => processesMatching(marker).length === 4, 5000, 'every process of the stack')
    const survivors = processesMatching(marker)
    expect(survivors).toHaveLength(4) // two app instances, the shell's exec'd app, its detached child

    // An unrelated process whose pid is not in the registry must be left alone.
    const bystander = spawn(process.execPath, ['-e', `setInterval(()=>{},1000)/*${marker}-bystander*/`])

    cli.kill('SIGKILL')
    await new Promise((r) => cli.on('exit', r))
    await new Promise((r) => setTimeout(r, 300))
    expect(survivors.every(isAlive)).toBe(true)

    const engine = new Engine({ dataDir: home.dir })
    await engine.init()
    await waitFor(() => survivors.every((pid) => !isAlive(pid)), 5000, 'the survivors to be reaped')
    const logs = await engine.invoke('log:tail', { limit: 10 })
    expect(logs.map((l) => l.text).join('\n')).toMatch(/stopped 4 process\(es\) left running by an earlier Aerie that did not shut down: .*hup\/shell#1/)
    expect(isAlive(bystander.pid!)).toBe(true)
    bystander.kill()
    await engine.shutdown()
  })

  it('does not kill a process that reuses a recorded pid for another command', async () => {
    const other = spawn('sleep', ['30'])
    fs.mkdirSync(path.join(home.dir, 'run'), { recursive: true })
    fs.writeFileSync(path.join(home.dir, 'run', 'processes.json'), JSON.stringify([{ id: 'x/app#1', pid: other.pid, command: process.execPath, args: ['server.js'] }]))
    const engine = new Engine({ dataDir: home.dir })
    await engine.init()
    expect(isAlive(other.pid!)).toBe(true)
    other.kill()
    await engine.shutdown()
  })
})
