import { describe, expect, it } from 'vitest'
import { hostsWithNames, namesInHosts, stackNames } from '../../../src-main/core/hosts-file.js'

describe('the hosts file block', () => {
  const owner = '127.0.0.1 localhost\n::1 localhost\n'
  it('is added at the end, replaced in place, and taken out leaving the rest byte for byte', () => {
    const once = hostsWithNames(owner, ['b.test', 'a.test'])
    expect(once.startsWith(owner)).toBe(true)
    expect(namesInHosts(once)).toEqual(['a.test', 'b.test'])
    const twice = hostsWithNames(once, ['c.localhost'])
    expect(namesInHosts(twice)).toEqual(['c.localhost'])
    expect(twice.match(/aerie:start/g)).toHaveLength(1)
    expect(hostsWithNames(twice, [])).toBe(owner)
    expect(hostsWithNames(once, ['a.test', 'b.test'])).toBe(once)
  })
  it('works on a file without a final newline and on an empty one', () => {
    expect(hostsWithNames('10.0.0.1 nas', ['x.test'])).toMatch(/^10\.0\.0\.1 nas\n# aerie:start/)
    expect(hostsWithNames(hostsWithNames('', ['x.test']), [])).toBe('')
  })
  it('maps every stack name but localhost, once', () => {
    expect(stackNames(['shop.test', 'localhost', 'api.shop.test', 'shop.test'])).toEqual(['api.shop.test', 'shop.test'])
  })
})
