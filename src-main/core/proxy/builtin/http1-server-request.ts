import type { IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'

/**
 * Fields whose repeats are dropped (the first is kept), as node:http does: a second value of
 * these is meaningless or dangerous (two Hosts are refused before routing, see request-target.ts).
 */
const SINGLE_VALUED = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent'])

/** The parser's raw name/value pairs as node:http presents them: lower-case names, repeats joined (`cookie` with `; `, `set-cookie` as a list). */
export function headersOf(raw: string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    const value = raw[i + 1]
    const had = headers[name]
    if (had === undefined) headers[name] = name === 'set-cookie' ? [value] : value
    else if (name === 'set-cookie') (had as string[]).push(value)
    else if (!SINGLE_VALUED.has(name)) headers[name] = `${had}${name === 'cookie' ? '; ' : ', '}${value}`
  }
  return headers
}

/**
 * A request on the built-in proxy's plain-HTTP listener (http1-server.ts): the fields of
 * node:http's IncomingMessage that the proxy reads, and its body as a Readable that pauses the
 * client's socket while nobody reads it.
 */
export class Http1ServerRequest extends Readable {
  readonly headers: IncomingHttpHeaders
  readonly httpVersion: string
  /** Set once the whole body (or none) was read from the client. */
  complete = false

  constructor(
    readonly socket: Socket,
    readonly method: string,
    public url: string,
    readonly httpVersionMajor: number,
    readonly httpVersionMinor: number,
    readonly rawHeaders: string[],
    private readonly onRead: () => void,
  ) {
    super()
    this.headers = headersOf(rawHeaders)
    this.httpVersion = httpVersionMajor === 1 && httpVersionMinor === 1 ? '1.1' : `${httpVersionMajor}.${httpVersionMinor}`
  }

  _read(): void {
    this.onRead()
  }

  /** A body cut off by the client errors only for a reader listening for it (as node:http's request does): nobody else must crash on it. */
  _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    done(this.listenerCount('error') ? err : null)
  }
}
