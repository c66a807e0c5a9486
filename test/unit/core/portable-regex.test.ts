import { describe, expect, it } from 'vitest'
import { checkPortableRegex, checkRewriteTarget } from '../../../src-main/core/proxy/portable-regex.js'
import { StackSchema } from '../../../src-main/core/stacks/stack-schema.js'

describe('the one regex dialect of rewrites', () => {
  it('counts the capturing groups of what every engine runs', () => {
    expect(checkPortableRegex('^/old/(.*)$')).toBe(1)
    expect(checkPortableRegex('^/a/(?:x|y)/([a-z(]+)/(\\d{2,4})$')).toBe(2)
    expect(checkPortableRegex('^/\\(literal\\)$')).toBe(0)
  })

  it('refuses what some engine lacks, saying what', () => {
    expect(() => checkPortableRegex('^/(?<=a)b')).toThrow(/lookbehind/)
    expect(() => checkPortableRegex('^/(?!admin)')).toThrow(/lookahead/)
    expect(() => checkPortableRegex('^/(a)\\1')).toThrow(/backreferences/)
    expect(() => checkPortableRegex('^/(?<name>x)')).toThrow(/named groups/)
    expect(() => checkPortableRegex('^/(?i)x')).toThrow(/inline flags/)
    expect(() => checkPortableRegex('^/a++')).toThrow(/possessive/)
    expect(() => checkPortableRegex('^/\\p{L}')).toThrow(/Unicode property/)
    expect(() => checkPortableRegex('^/(')).toThrow(/not a valid regular expression/)
  })

  it('checks a target: only $1…$n of the pattern, no query, nothing an engine reads otherwise', () => {
    expect(() => checkRewriteTarget('/new/$1', 1)).not.toThrow()
    expect(() => checkRewriteTarget('/new/$2', 1)).toThrow('names $2, but the pattern has 1 group(s)')
    expect(() => checkRewriteTarget('/new/$uri', 0)).toThrow('$1…$9')
    expect(() => checkRewriteTarget('/new?x=1', 0)).toThrow('query string is kept')
  })

  it('is checked at save, with the field named', () => {
    const stack = { id: 'x', name: 'X', hostnames: ['x.localhost'], appServers: [{ name: 'web', command: 'node' }], routes: [{ appServer: 'web' }], proxy: { httpPort: 8080 } }
    const issues = StackSchema.safeParse({ ...stack, rewrites: [{ match: '^/(?<=a)', to: '/b' }, { match: 'no-anchor', to: '/b' }, { match: '^/x', to: 'elsewhere' }] }).error!.issues
    expect(issues.map((i) => i.path.join('.'))).toEqual(['rewrites.0.match', 'rewrites.1.match', 'rewrites.2.to'])
  })
})
