import type { OutgoingHttpHeaders } from 'node:http'
import type { PlanRoute, ProxySettings } from '../proxy-driver.js'
import { compressSync } from './compression.js'
import type { ConnectionInfo } from './stack-proxy.js'
import { cacheStatus, type CachedResponse, type ResponseCache } from './response-cache.js'
import { singleValued } from './single-value-headers.js'
import { maskedHeaders } from './trace-recorder.js'
import { isHttp2Request } from './request-target.js'
import { clientHeaders, type ProxyRequest } from './upstream-exchange.js'

/**
 * What a stored answer sends for one kind of request (protocol, method, Accept-Encoding), worked out
 * on its first hit and kept with it: the client's headers, as the trace shows them, and the body.
 * A hit then only adds Age and Cache-Status. Made again when the plan changes (a new route or settings).
 */
interface PreparedHit {
  route: PlanRoute
  settings: ProxySettings
  headers: OutgoingHttpHeaders
  traced: Record<string, string>
  body: Buffer
  /** The last hit's headers, while its Age (whole seconds) holds: hits within one second share them. */
  last?: { age: number; headers: OutgoingHttpHeaders; traced: Record<string, string> }
}

/** Kinds of request kept per stored answer; past this, hits work their headers out each time. */
const PREPARED_PER_ENTRY = 8

const prepared = new WeakMap<CachedResponse, Map<string, PreparedHit>>()

function prepare(entry: CachedResponse, cache: ResponseCache, req: ProxyRequest, conn: ConnectionInfo, route: PlanRoute & { appServer: string }, settings: ProxySettings): PreparedHit {
  const { headers, encoding } = clientHeaders(entry.status, entry.headers, req, settings, { conn, route })
  const body = req.method === 'HEAD' ? Buffer.alloc(0) : encoding ? cache.encodedBody(entry, encoding, (raw) => compressSync(encoding, raw)) : entry.body
  if (!encoding) headers['content-length'] = String(entry.body.length)
  else if (req.method !== 'HEAD') headers['content-length'] = String(body.length)
  const client = isHttp2Request(req) ? singleValued(headers) : headers
  return { route, settings, headers: client, traced: maskedHeaders(client, settings.traceSecrets), body }
}

/** The status, headers and body of a fresh stored answer for this request, and the headers its trace records. */
export function cacheHit(entry: CachedResponse, cache: ResponseCache, req: ProxyRequest, conn: ConnectionInfo, route: PlanRoute & { appServer: string }, settings: ProxySettings): { headers: OutgoingHttpHeaders; traced: Record<string, string>; body: Buffer } {
  const kind = `${conn.proto} ${isHttp2Request(req) ? 2 : 1} ${req.method} ${req.headers['accept-encoding'] ?? ''}`
  let kinds = prepared.get(entry)
  let hit = kinds?.get(kind)
  if (!hit || hit.route !== route || hit.settings !== settings) {
    hit = prepare(entry, cache, req, conn, route, settings)
    if (!kinds) prepared.set(entry, (kinds = new Map()))
    if (kinds.size < PREPARED_PER_ENTRY || kinds.has(kind)) kinds.set(kind, hit)
  }
  const age = Math.floor((Date.now() - entry.storedAt) / 1000)
  // Shared, never changed once made: writeHead only reads the object, and a trace keeps its headers as they are.
  if (hit.last?.age !== age) hit.last = { age, ...withAge(hit, entry, age) }
  return { headers: hit.last.headers, traced: hit.last.traced, body: hit.body }
}

function withAge(hit: PreparedHit, entry: CachedResponse, age: number): { headers: OutgoingHttpHeaders; traced: Record<string, string> } {
  const ageValue = String(age)
  const status = cacheStatus({ hit: true, ttl: entry.ttl - age })
  const headers = Object.assign({}, hit.headers)
  headers.age = ageValue
  headers['cache-status'] = status
  const traced = Object.assign({}, hit.traced)
  traced.age = ageValue
  traced['cache-status'] = status
  return { headers, traced }
}
