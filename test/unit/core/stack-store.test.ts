import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { demoStack } from '../../../src-main/core/stacks/demo-stack.js'
import { StackSchema } from '../../../src-main/core/stacks/stack-schema.js'
import { StackStore } from '../../../src-main/core/stacks/stack-store.js'
import { tempHome } from '../../support/temp-home.js'

const home = tempHome()
afterEach(() => fs.rmSync(path.join(home.dir, 'stacks'), { recursive: true, force: true }))

describe('StackStore', () => {
  it('round-trips a stack through a JSON file and leaves no temp file', async () => {
    const store = new StackStore(home.dir)
    const stack = StackSchema.parse(demoStack({}))
    await store.save(stack)
    expect(await store.get('demo')).toEqual(stack)
    expect(fs.readdirSync(store.dir)).toEqual(['demo.json'])
  })

  it('writes stack files 0600 (env may hold secrets); at start removes stale temp files and narrows old 0644 files', async () => {
    const store = new StackStore(home.dir)
    await store.save(StackSchema.parse(demoStack({})))
    expect(fs.statSync(store.fileOf('demo')).mode & 0o777).toBe(0o600)
    fs.chmodSync(store.fileOf('demo'), 0o644)
    const stale = path.join(store.dir, 'demo.json.0a1b2c3d4e5f.tmp')
    const fresh = path.join(store.dir, 'demo.json.ffffffffffff.tmp')
    fs.writeFileSync(stale, '{')
    fs.writeFileSync(fresh, '{')
    const old = new Date(Date.now() - 5 * 60_000)
    fs.utimesSync(stale, old, old)
    expect(await store.tidy()).toEqual({ removed: ['demo.json.0a1b2c3d4e5f.tmp'] })
    expect(fs.existsSync(fresh)).toBe(true)
    expect(fs.statSync(store.fileOf('demo')).mode & 0o777).toBe(0o600)
  })

  it('reports a broken file by name and keeps it, while listing the good ones', async () => {
    const store = new StackStore(home.dir)
    await store.save(StackSchema.parse(demoStack({})))
    fs.writeFileSync(path.join(store.dir, 'broken.json'), '{ not json')
    fs.writeFileSync(path.join(store.dir, 'invalid.json'), JSON.stringify({ id: 'invalid', name: '' }))
    const { stacks, broken } = await store.list()
    expect(stacks.map((s) => s.id)).toEqual(['demo'])
    expect(broken.map((b) => path.basename(b.file))).toEqual(['broken.json', 'invalid.json'])
    expect(broken[0].message).toContain('not valid JSON')
    expect(broken[1].message).toContain('name must not be empty')
    expect(fs.existsSync(path.join(store.dir, 'broken.json'))).toBe(true)
  })

  it('returns nothing for an unknown stack and an empty list without a folder', async () => {
    const store = new StackStore(path.join(home.dir, 'nowhere'))
    expect(await store.get('nope')).toBeUndefined()
    expect(await store.list()).toEqual({ stacks: [], broken: [] })
  })
})
