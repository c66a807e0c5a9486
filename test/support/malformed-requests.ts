import { FLAG, frame, FRAME, headerBlock, rstStream } from './h2-frames.js'

/** A small seeded PRNG (mulberry32): the same seed gives the same cases, so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]
const bytes = (r: Random, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)))

const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE', 'CONNECT', 'TRACE', 'PRI', 'G\u0000T', 'get', 'GET GET', '', 'PATCH']
const TARGETS = ['/', '/ok', '/a?b=c', '*', 'http://app.localhost/abs', 'https://evil.example/x', '//double', 'app.localhost:80', '/%00', '/%zz', '/../../etc/passwd', '/a b', '/\u00ff', 'x'.repeat(9000), '']
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/9.9', 'HTTP/1.1 extra', 'HTTPS/1.1', 'http/1.1', '']
const HEADER_LINES = [
  'Content-Length: 5',
  'Content-Length: -1',
  'Content-Length: 99999999999999999999',
  'Content-Length: 5, 6',
  'Content-Length: abc',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: chunked, identity',
  'Transfer-Encoding: xchunked',
  'Transfer-Encoding:  chunked',
  'Host: evil.example',
  'Host:',
  'X-Fold: a\r\n  folded',
  'NoColon',
  ': empty-name',
  'X-Nul: a\u0000b',
  'X-Bare: lf\nX-Next: 1',
  `X-Big: ${'a'.repeat(20_000)}`,
  'Connection: Upgrade',
  'Upgrade: websocket',
  'Upgrade: h2c',
  'HTTP2-Settings: AAMAAABkAAQAAP__',
  'Expect: 100-continue',
  'X-Forwarded-For: 6.6.6.6',
  'X-Forwarded-Proto: https',
  'Connection: close, x-drop',
  'Te: trailers',
]
const BODIES = ['', 'hello', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\nhello\r\n0\r\n\r\n', '5\r\nhel', 'ffffffffffffffff\r\n', '0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: evil.example\r\n\r\n']

/** One malformed (or, now and then, valid) HTTP/1.1 request as raw bytes. */
export function malformedHttp1(r: Random, host: string): Buffer {
  if (r() < 0.05) return bytes(r, Math.floor(r() * 200))
  const method = r() < 0.7 ? 'GET' : pick(r, METHODS)
  const target = r() < 0.5 ? '/ok' : pick(r, TARGETS)
  const version = r() < 0.6 ? 'HTTP/1.1' : pick(r, VERSIONS)
  const lines = [`${method} ${target} ${version}`.trimEnd()]
  if (r() < 0.85) lines.push(`Host: ${host}`)
  const extra = Math.floor(r() * 4)
  for (let i = 0; i < extra; i++) lines.push(pick(r, HEADER_LINES))
  const eol = r() < 0.9 ? '\r\n' : '\n'
  let text = lines.join(eol) + eol + (r() < 0.9 ? eol : '')
  text += pick(r, BODIES)
  const buffer = Buffer.from(text, 'latin1')
  // Sometimes cut short, sometimes with noise appended.
  if (r() < 0.1) return buffer.subarray(0, Math.floor(r() * buffer.length))
  if (r() < 0.05) return Buffer.concat([buffer, bytes(r, 32)])
  return buffer
}

const H2_HEADER_SETS: (host: string) => [string, string][][] = (host) => [
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/ok'], [':authority', host]],
  [[':method', 'POST'], [':scheme', 'https'], [':path', '/ok'], [':authority', host], ['content-length', '3']],
  [[':method', 'GET'], [':path', '/ok']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', ''], [':authority', host]],
  [[':method', 'GET'], [':scheme', 'https'], [':path', 'noslash'], [':authority', host]],
  [[':method', 'OPTIONS'], [':scheme', 'https'], [':path', '*'], [':authority', host]],
  [[':method', 'CONNECT'], [':authority', host]],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/ok'], [':authority', host], ['Upper', 'x']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/ok'], [':authority', host], ['connection', 'keep-alive']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/ok'], [':authority', host], ['host', 'evil.example']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/ok'], [':authority', host], [':path', '/again']],
  [['x-first', '1'], [':method', 'GET'], [':scheme', 'https'], [':path', '/ok'], [':authority', host]],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/ok'], [':authority', host], ['te', 'gzip']],
]

/** A sequence of HTTP/2 frames after the preface: valid requests mixed with broken frames, resets and floods. */
export function malformedHttp2(r: Random, host: string): Buffer {
  const frames: Buffer[] = []
  const sets = H2_HEADER_SETS(host)
  const count = 1 + Math.floor(r() * 8)
  let stream = 1
  for (let i = 0; i < count; i++) {
    const roll = r()
    if (roll < 0.35) {
      const endStream = r() < 0.6 ? FLAG.END_STREAM : 0
      frames.push(frame(FRAME.HEADERS, FLAG.END_HEADERS | endStream, stream, headerBlock(pick(r, sets))))
      if (!endStream && r() < 0.5) frames.push(frame(FRAME.DATA, r() < 0.5 ? FLAG.END_STREAM : 0, stream, Buffer.from('abc')))
      if (r() < 0.3) frames.push(rstStream(stream, Math.floor(r() * 14)))
      stream += r() < 0.9 ? 2 : 1
    } else if (roll < 0.45) {
      frames.push(frame(FRAME.HEADERS, FLAG.END_HEADERS, stream, bytes(r, Math.floor(r() * 40))))
      stream += 2
    } else if (roll < 0.5) {
      frames.push(frame(FRAME.CONTINUATION, pick(r, [0, FLAG.END_HEADERS]), pick(r, [stream, stream - 2, 0]), bytes(r, 10)))
    } else if (roll < 0.6) {
      frames.push(frame(FRAME.WINDOW_UPDATE, 0, pick(r, [0, stream, 99]), pick(r, [Buffer.alloc(4), Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(3)])))
    } else if (roll < 0.7) {
      frames.push(frame(FRAME.SETTINGS, pick(r, [0, FLAG.ACK]), pick(r, [0, 1]), pick(r, [Buffer.alloc(0), Buffer.alloc(5), Buffer.from([0, 4, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0, 5, 0, 0, 0, 1])])))
    } else if (roll < 0.75) {
      frames.push(frame(FRAME.PING, 0, pick(r, [0, 1]), bytes(r, pick(r, [8, 7, 9]))))
    } else if (roll < 0.8) {
      frames.push(rstStream(pick(r, [0, stream, stream + 100, 2])))
    } else if (roll < 0.85) {
      frames.push(frame(FRAME.PRIORITY, 0, pick(r, [stream, 0]), bytes(r, pick(r, [5, 4]))))
    } else if (roll < 0.9) {
      frames.push(frame(FRAME.DATA, 0, pick(r, [stream + 10, 0, 1]), bytes(r, 20)))
    } else if (roll < 0.95) {
      frames.push(frame(pick(r, [FRAME.PUSH_PROMISE, FRAME.GOAWAY, 0x0a, 0xff]), Math.floor(r() * 256), Math.floor(r() * 10), bytes(r, Math.floor(r() * 30))))
    } else {
      // A frame header whose length lies about its payload.
      const f = frame(FRAME.DATA, 0, 1, bytes(r, 10))
      f.writeUIntBE(Math.floor(r() * 0xffffff), 0, 3)
      frames.push(f)
    }
  }
  return Buffer.concat(frames)
}
