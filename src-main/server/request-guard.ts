import type { IncomingMessage } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import { TOKEN_QUERY } from './wire.js'

/**
 * DNS-rebinding and cross-site defence for the loopback server: the Host header must
 * name loopback on our port, and an Origin, when a browser sends one, must be ours.
 */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
}

export function checkHost(req: IncomingMessage, port: number): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase()
  return allowedHosts(port).has(host) ? undefined : `Host "${host}" is not this server; open http://127.0.0.1:${port}/`
}

export function checkOrigin(req: IncomingMessage, port: number): string | undefined {
  const origin = req.headers.origin
  if (origin === undefined) return undefined // non-browser clients (the CLI) send none
  const ok = [...allowedHosts(port)].some((h) => origin.toLowerCase() === `http://${h}`)
  return ok ? undefined : `Origin "${origin}" may not use this server`
}

export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token from `Authorization: Bearer …` or the `token` query parameter. */
export function tokenOf(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length)
  return url.searchParams.get(TOKEN_QUERY)
}
