import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { get } from '../support/http-client.js'
import { waitFor } from '../support/processes.js'
import { tempHome } from '../support/temp-home.js'

describe('a stack kept in the app repository as aerie.stack.json', () => {
  const home = tempHome()
  const repo = tempHome('aerie-repo-')
  const file = path.join(repo.dir, 'aerie.stack.json')
  let engine: Engine
  let port: number

  const fileText = (instances: number, httpPort: string | number) => `{
  // Our local stack: the API behind Aerie's proxy.
  "id": "api",
  "name": "Orders API",
  "x-team": "payments",
  "hostnames": ["api.localhost"],
  "appServers": [
    { "name": "api", "command": "{node}", "args": ["server.js"], "cwd": ".", "instances": ${instances}, "x-note": "kept" }
  ],
  "routes": [{ "appServer": "api" }],
  "proxy": { "httpPort": ${httpPort} },
}
`

  beforeAll(async () => {
    port = await findFreePort()
    fs.writeFileSync(path.join(repo.dir, 'server.js'), "require('http').createServer((q,r)=>r.end('instance '+process.env.INSTANCE)).listen(process.env.PORT,'127.0.0.1')\n")
    fs.writeFileSync(file, fileText(1, port))
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
  })
  afterAll(async () => {
    await engine.shutdown()
    home.cleanup()
    repo.cleanup()
  })

  it('imports the stack from its folder and runs it with paths relative to the file', async () => {
    const view = await engine.invoke('stack:import', { path: repo.dir })
    expect(view.source).toBe(file)
    expect(view.stack.name).toBe('Orders API')
    const running = await engine.invoke('stack:start', { id: 'api' })
    expect(running.state).toBe('running')
    expect((await get(port, '/', 'api.localhost')).body).toBe('instance 1')
  })

  it('applies an edit made in an editor to the running stack', async () => {
    fs.writeFileSync(file, fileText(2, port))
    await waitFor(async () => (await engine.invoke('stack:get', { id: 'api' })).processes.filter((p) => p.state === 'running').length === 2, 15_000, 'the second instance')
    const bodies = new Set([(await get(port, '/', 'api.localhost')).body, (await get(port, '/', 'api.localhost')).body])
    expect(bodies).toEqual(new Set(['instance 1', 'instance 2']))
  })

  it('reports an invalid edit with the file, line and field, and keeps serving the last valid config', async () => {
    fs.writeFileSync(file, fileText(2, '"eighty"'))
    await waitFor(async () => Boolean((await engine.invoke('stack:get', { id: 'api' })).configError), 5000, 'the config error')
    const view = await engine.invoke('stack:get', { id: 'api' })
    expect(view.configError).toContain(file)
    expect(view.configError).toContain('line 11: proxy.httpPort must be a number')
    expect(view.state).toBe('running')
    expect((await get(port, '/', 'api.localhost')).status).toBe(200)

    fs.writeFileSync(file, fileText(2, port).replace('"hostnames"', '"hostnames": ,'))
    await waitFor(async () => /not valid JSON/.test((await engine.invoke('stack:get', { id: 'api' })).configError ?? ''), 5000, 'the syntax error')

    fs.writeFileSync(file, fileText(2, port))
    await waitFor(async () => !(await engine.invoke('stack:get', { id: 'api' })).configError, 5000, 'the error to clear')
  })

  it('writes a save from the UI back to the file, keeping comments, order and unknown fields', async () => {
    const { stack } = await engine.invoke('stack:get', { id: 'api' })
    await engine.invoke('stack:save', { stack: { ...stack, name: 'Orders API (local)' } })
    const text = fs.readFileSync(file, 'utf8')
    expect(text).toContain('// Our local stack: the API behind Aerie')
    expect(text).toContain('"name": "Orders API (local)"')
    expect(text).toContain('"x-team": "payments"')
    expect(text).toContain('"x-note": "kept"')
    expect(text.indexOf('"id"')).toBeLessThan(text.indexOf('"name"'))
    expect(text.indexOf('"name"')).toBeLessThan(text.indexOf('"x-team"'))
    expect(text).not.toContain('restartBackoff') // defaults are not written out
    expect((await engine.invoke('stack:get', { id: 'api' })).configError).toBeUndefined()
  })

  it('is listed again by the next engine, from its file', async () => {
    await engine.invoke('stack:stop', { id: 'api' })
    await engine.shutdown() // one engine per data directory: the next one starts after it
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
    const view = await engine.invoke('stack:get', { id: 'api' })
    expect(view.source).toBe(file)
    expect(view.stack.name).toBe('Orders API (local)')
  })

  it('reports a stack file that cannot be read at start, and leaves it untouched', async () => {
    const brokenFile = path.join(home.dir, 'stacks', 'broken.json')
    fs.writeFileSync(brokenFile, '{ "id": "broken", ')
    await engine.shutdown()
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
    const problems = await engine.invoke('engine:problems', {})
    expect(problems).toEqual([{ file: brokenFile, message: expect.stringContaining('is not valid JSON') }])
    expect(fs.readFileSync(brokenFile, 'utf8')).toBe('{ "id": "broken", ')
    fs.rmSync(brokenFile)
  })

  it('deleting a linked stack only unlinks it: the file stays in the repository', async () => {
    expect(await engine.invoke('stack:delete', { id: 'api' })).toEqual({ id: 'api', keptFile: file })
    expect(fs.existsSync(file)).toBe(true)
    await engine.shutdown()
    engine = new Engine({ dataDir: home.dir })
    await engine.init()
    expect((await engine.invoke('stack:list', {})).map((v) => v.stack.id)).not.toContain('api')
  })

  it('refuses to import a file whose id another stack has, and leaves that stack as it was', async () => {
    const other = path.join(repo.dir, 'taken')
    fs.mkdirSync(other, { recursive: true })
    fs.writeFileSync(path.join(other, 'aerie.stack.json'), JSON.stringify({ id: 'demo', name: 'Not the demo', hostnames: ['x.localhost'], appServers: [{ name: 'web', command: 'true' }], routes: [{ appServer: 'web' }], proxy: { httpPort: 18998 } }))
    const demoFile = path.join(home.dir, 'stacks', 'demo.json')
    const before = fs.readFileSync(demoFile, 'utf8')
    await expect(engine.invoke('stack:import', { path: other })).rejects.toThrow(`${path.join(other, 'aerie.stack.json')}: "id" "demo" is taken by another stack; pick another id, e.g. "demo-2"`)
    expect(fs.readFileSync(demoFile, 'utf8')).toBe(before)
    expect((await engine.invoke('stack:get', { id: 'demo' })).stack.name).toBe('Demo')
  })

  it('refuses a folder without aerie.stack.json, naming the file it looked for', async () => {
    await expect(engine.invoke('stack:import', { path: home.dir })).rejects.toThrow(`${path.join(home.dir, 'aerie.stack.json')} does not exist`)
  })
})
