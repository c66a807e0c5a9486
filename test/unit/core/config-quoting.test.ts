import { describe, expect, it } from 'vitest'
import { apacheQuote, caddyQuote, nginxQuote, systemdWord } from '../../../src-main/core/proxy/config-quoting.js'

describe('config quoting helpers', () => {
  const hostile = `/srv/odd dir; } location = /pwned { return 200 "x"; } # 'q' \\`
  it('keep every structural character inside one quoted token', () => {
    expect(nginxQuote(hostile)).toBe(`"/srv/odd dir; } location = /pwned { return 200 \\"x\\"; } # 'q' \\\\"`)
    expect(apacheQuote(hostile)).toBe(nginxQuote(hostile))
    expect(nginxQuote('/var/www/app/static/')).toBe('/var/www/app/static/')
    expect(caddyQuote(hostile)).toBe(`"/srv/odd dir; \\} location = /pwned \\{ return 200 \\"x\\"; \\} # 'q' \\\\"`)
  })
  it('refuse what the language cannot hold, naming the value and why', () => {
    expect(() => nginxQuote('/srv/a$b')).toThrow('nginx reads as a variable')
    expect(() => apacheQuote('/srv/${HOME}')).toThrow('Apache reads as a variable')
    for (const quote of [nginxQuote, apacheQuote, caddyQuote]) expect(() => quote('/srv/a\nb')).toThrow('line break')
  })
})

describe('systemd words', () => {
  it('quote a word with spaces or quotes, double % and (in ExecStart) $, and leave plain words bare', () => {
    expect(systemdWord('/usr/bin/node')).toBe('/usr/bin/node')
    expect(systemdWord("console.log('a b')")).toBe(`"console.log('a b')"`)
    expect(systemdWord('--urls=http://a,http://b')).toBe('--urls=http://a,http://b')
    expect(systemdWord('say "hi" 100% $HOME')).toBe('"say \\"hi\\" 100%% $$HOME"')
    expect(systemdWord('GREETING=hello $world', false)).toBe('"GREETING=hello $world"')
    expect(() => systemdWord('a\nb')).toThrow('line break')
  })
})
