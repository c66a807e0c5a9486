import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseStack, unknownKeys } from '../../../src-main/core/stacks/known-keys.js'
import { readStackFile } from '../../../src-main/core/stacks/stack-file.js'
import { tempHome } from '../../support/temp-home.js'

const home = tempHome()
afterAll(() => home.cleanup())

const stack = (app: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'shop',
  name: 'Shop',
  hostnames: ['shop.localhost'],
  appServers: [{ name: 'web', command: 'node', ...app }],
  routes: [{ appServer: 'web' }],
  proxy: { httpPort: 8080 },
  ...extra,
})

describe('keys Aerie does not know', () => {
  it('are named with the nearest known key, at any depth; keys of your own (x-…) and $schema pass', () => {
    expect(unknownKeys(stack({ instnaces: 2 }))).toEqual([{ path: ['appServers', 0, 'instnaces'], message: expect.stringContaining('did you mean "instances"?') }])
    expect(unknownKeys(stack({ readiness: { kind: 'http', timeout: 5 } })).map((k) => k.message)).toEqual([expect.stringContaining('did you mean "timeoutMs"?')])
    expect(unknownKeys({ ...stack({}), proxy: { httpPort: 1, httpsProt: 2 } })[0].message).toContain('"httpsPort"')
    expect(unknownKeys(stack({ 'x-note': 1 }, { $schema: 'x', 'x-team': 'a' }))).toEqual([])
    // Values of a record (env) are the user's: any name.
    expect(unknownKeys(stack({ env: { ANYTHING: '1' } }))).toEqual([])
  })

  it('refuse a stack saved through the API, naming the field', () => {
    expect(() => parseStack(stack({ instnaces: 2 }), 'The stack')).toThrow('The stack is invalid: appServers[0].instnaces is not a key Aerie knows; did you mean "instances"?')
  })

  it('refuse a stack file with the file and the line of the key', async () => {
    const file = path.join(home.dir, 'aerie.stack.json')
    fs.writeFileSync(file, `{\n  "id": "shop", "name": "Shop", "hostnames": ["shop.localhost"],\n  "appServers": [\n    { "name": "web", "command": "node",\n      "instnaces": 2 }\n  ],\n  "routes": [{ "appServer": "web" }], "proxy": { "httpPort": 8080 }\n}\n`)
    await expect(readStackFile(file)).rejects.toThrow(`${file} is invalid: line 5: appServers[0].instnaces is not a key Aerie knows; did you mean "instances"?`)
  })
})
