import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { chooseEncoding, varyWithEncoding } from '../../../src-main/core/proxy/builtin/compression.js'
import { forwardedFor } from '../../../src-main/core/proxy/builtin/forwarded-headers.js'
import { resolveInside } from '../../../src-main/core/proxy/builtin/static-files.js'
import { maskedHeaders } from '../../../src-main/core/proxy/builtin/trace-recorder.js'

describe('compression choice', () => {
  const base = { contentType: 'text/html', status: 200, method: 'GET' }
  it('prefers brotli, then gzip, honouring q=0', () => {
    expect(chooseEncoding({ ...base, acceptEncoding: 'gzip, deflate, br' })).toBe('br')
    expect(chooseEncoding({ ...base, acceptEncoding: 'gzip, br;q=0' })).toBe('gzip')
    expect(chooseEncoding({ ...base, acceptEncoding: 'identity' })).toBeUndefined()
  })
  it('leaves alone what is compressed, small, not compressible, partial or bodiless', () => {
    expect(chooseEncoding({ ...base, acceptEncoding: 'br', contentEncoding: 'gzip' })).toBeUndefined()
    expect(chooseEncoding({ ...base, acceptEncoding: 'br', contentLength: '100' })).toBeUndefined()
    expect(chooseEncoding({ ...base, acceptEncoding: 'br', contentType: 'image/png' })).toBeUndefined()
    expect(chooseEncoding({ ...base, acceptEncoding: 'br', status: 206 })).toBeUndefined()
    expect(chooseEncoding({ ...base, acceptEncoding: 'br', method: 'HEAD' })).toBeUndefined()
  })
  it('adds Accept-Encoding to Vary once', () => {
    expect(varyWithEncoding('Origin')).toBe('Origin, Accept-Encoding')
    expect(varyWithEncoding('accept-encoding')).toBe('accept-encoding')
    expect(varyWithEncoding(undefined)).toBe('Accept-Encoding')
  })
})

describe('static path resolution', () => {
  const root = path.resolve('/srv/site')
  it('maps URL paths inside the folder', () => {
    expect(resolveInside(root, '/css/app.css')).toEqual({ file: path.join(root, 'css/app.css') })
    expect(resolveInside(root, '/a%20b.txt')).toEqual({ file: path.join(root, 'a b.txt') })
  })
  it('refuses to leave the folder, encoded or not', () => {
    for (const p of ['/../etc/passwd', '/%2e%2e/etc/passwd', '/..%2fetc/passwd', '/a/%2E%2E/%2E%2E/etc/passwd', '/..\\\\etc\\\\passwd']) expect(resolveInside(root, p)).toEqual({ status: 403 })
    for (const p of ['/.env', '/.git/config', '/a/.htpasswd', '/%2eenv']) expect(resolveInside(root, p)).toEqual({ status: 404 })
    expect(resolveInside(root, '/.well-known/acme-challenge/x')).toEqual({ file: path.join(root, '.well-known/acme-challenge/x') })
    expect(resolveInside(root, '/%zz')).toEqual({ status: 400 })
    expect(resolveInside(root, '/a%00.txt')).toEqual({ status: 400 })
  })
})

describe('trace header masking', () => {
  it('keeps the scheme and cookie names, hides the values', () => {
    const masked = maskedHeaders({ authorization: 'Bearer abc.def', cookie: 'session=s3cr3t; theme=dark', 'set-cookie': ['sid=1; Path=/'], accept: '*/*' }, false)
    expect(masked).toEqual({ authorization: 'Bearer ***', cookie: 'session=***; theme=***', 'set-cookie': 'sid=***; Path=/', accept: '*/*' })
    expect(maskedHeaders({ authorization: 'Bearer abc' }, true).authorization).toBe('Bearer abc')
  })
})

describe('RFC 7239 Forwarded', () => {
  it('quotes IPv6 and unwraps IPv4-mapped addresses', () => {
    expect(forwardedFor('::ffff:127.0.0.1', 'https', 'demo.localhost:8443')).toBe('for=127.0.0.1;proto=https;host="demo.localhost:8443"')
    expect(forwardedFor('::1', 'http', 'a')).toBe('for="[::1]";proto=http;host="a"')
  })
})
