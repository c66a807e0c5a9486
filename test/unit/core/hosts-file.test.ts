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

describe('writing the hosts file without the right to', () => {
  it('refuses with the code and the exact privileged command, and leaves the file as it was', async () => {
    const { spawnSync } = await import('node:child_process')
    const fs = await import('node:fs')
    const os = await import('node:os')
    const path = await import('node:path')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aerie-hosts-'))
    const file = path.join(dir, 'hosts')
    fs.writeFileSync(file, '127.0.0.1 localhost\n', { mode: 0o644 })
    fs.chmodSync(dir, 0o755)
    // Root may write anything: the writer then runs as nobody, as a user's desktop session would.
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
    if (!asUser.length) fs.chmodSync(file, 0o444)
    const script = `import('${path.resolve('src-main/core/hosts-file.ts')}').then((m) => m.writeHostsBlock(['shop.test'], ${JSON.stringify(file)})).then((r) => console.log('wrote', r), (e) => console.log(e.message))`
    const run = spawnSync(asUser[0] ?? process.execPath, [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), '--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, HOME: dir } })
    expect(run.stdout.trim()).toBe(`cannot write ${file} (EACCES): run: sudo aerie hosts apply`)
    expect(fs.readFileSync(file, 'utf8')).toBe('127.0.0.1 localhost\n')
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
