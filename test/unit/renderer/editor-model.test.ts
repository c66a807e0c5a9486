import { describe, expect, it } from 'vitest'
import { StackSchema } from '../../../src-main/core/stacks/stack-schema.js'
import { formatPath } from '../../../src-main/core/validation-error.js'
import { draftToStack, emptyDraft, fieldOf, idFromName, stackToDraft } from '../../../src-renderer/src/editor/editor-model.js'

describe('stack editor model', () => {
  it('turns a filled form into a valid stack and back', () => {
    const d = { ...emptyDraft(), id: 'shop', name: 'Shop', hostnames: 'shop.localhost, www.shop.localhost' }
    d.appServers[0] = { ...d.appServers[0], command: 'node', args: ['server.js', '--fast'], env: 'A=1\nB = two', instances: 2 }
    const stack = StackSchema.parse(draftToStack(d))
    expect(stack.hostnames).toEqual(['shop.localhost', 'www.shop.localhost'])
    expect(stack.appServers[0]).toMatchObject({ args: ['server.js', '--fast'], env: { A: '1', B: ' two' }, instances: 2, ports: 'auto' })
    expect(stackToDraft(stack).appServers[0].args).toEqual(['server.js', '--fast'])
  })

  it('maps every schema error to the field it belongs to', () => {
    const d = { ...emptyDraft(), id: 'shop', name: 'Shop', hostnames: 'bad host!', httpPort: 70000 as number }
    d.appServers[0] = { ...d.appServers[0], autoPorts: false, ports: '5000 99999', instances: 2 }
    const issues = StackSchema.safeParse(draftToStack(d)).error!.issues.map((i) => [fieldOf(formatPath(i.path)), i.message])
    expect(issues).toContainEqual(['httpPort', 'must be between 1 and 65535'])
    expect(issues).toContainEqual(['appServers[0].command', 'must name a program to run'])
    expect(issues).toContainEqual(['appServers[0].ports', 'must be between 1 and 65535'])
    expect(issues.some(([f]) => f === 'hostnames')).toBe(true)
  })

  it('turns a health check path on and maps its errors', () => {
    const d = { ...emptyDraft(), id: 'shop', name: 'Shop', hostnames: 'shop.localhost', healthPath: 'healthz', healthIntervalMs: 50 }
    d.appServers[0] = { ...d.appServers[0], command: 'node' }
    const fields = StackSchema.safeParse(draftToStack(d)).error!.issues.map((i) => fieldOf(formatPath(i.path)))
    expect(fields.sort()).toEqual(['healthIntervalMs', 'healthPath'])
    expect(StackSchema.parse(draftToStack({ ...d, healthPath: '/healthz', healthIntervalMs: 1000 })).proxy.healthCheck).toEqual({ path: '/healthz', intervalMs: 1000 })
    expect(StackSchema.parse(draftToStack({ ...d, healthPath: '' })).proxy.healthCheck).toBeUndefined()
  })

  it('derives a kebab-case id from a name', () => {
    expect(idFromName('  My Shop API!! ')).toBe('my-shop-api')
  })
})
