import fs from 'node:fs'
import path from 'node:path'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Writable } from 'node:stream'

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.zip': 'application/zip',
}

/** The one dot-named folder served: ACME challenges and other well-known URIs (RFC 8615) live there. */
const SERVED_DOT_FOLDER = '.well-known'

/**
 * The file a URL path names inside `root`, or an error status: 400 for a malformed path, 403 for an
 * escape, 404 for a dotfile or dot-folder (`.env`, `.git/config`), which is never served.
 */
export function resolveInside(root: string, urlPath: string): { file: string } | { status: 400 | 403 | 404 } {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return { status: 400 }
  }
  if (decoded.includes('\0')) return { status: 400 }
  const base = path.resolve(root)
  const file = path.resolve(base, `.${path.posix.normalize(`/${decoded.replace(/\\/g, '/')}`)}`)
  const rel = path.relative(base, file)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { status: 403 }
  // A raw ".." segment means the client tried to climb out, even if normalising kept it inside.
  const segments = decoded.split(/[/\\]/)
  if (segments.includes('..')) return { status: 403 }
  if (segments.some((s) => s.startsWith('.') && s !== SERVED_DOT_FOLDER)) return { status: 404 }
  return { file }
}

const STATUS_TEXT = { 400: 'Bad request: malformed path\n', 403: 'Forbidden: the path leaves the served folder\n', 404: 'Not found\n' }

/** True when the real path of `file` (links resolved) is inside the real path of `root`. */
async function liesInside(root: string, file: string): Promise<boolean> {
  const [realRoot, realFile] = await Promise.all([fs.promises.realpath(root), fs.promises.realpath(file)]).catch(() => ['', ''])
  if (!realRoot) return false
  const rel = path.relative(realRoot, realFile)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return header.includes(',') ? undefined : 'invalid' // several ranges: answer with the whole file
  const [, a, b] = match
  if (a === '' && b === '') return 'invalid'
  let start: number
  let end: number
  if (a === '') {
    start = Math.max(0, size - Number(b))
    end = size - 1
  } else {
    start = Number(a)
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  }
  if (start > end || start >= size) return 'invalid'
  return { start, end }
}

export interface StaticResponse {
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown
  end(chunk?: string): unknown
}

/**
 * Serves a file from `root` for `urlPath` with ETag, Last-Modified, conditional GET and
 * single byte ranges. Resolves the status sent. `fallback` (e.g. index.html) answers paths
 * that name no file.
 */
export async function serveStatic(root: string, urlPath: string, req: { method?: string; headers: IncomingHttpHeaders }, res: StaticResponse & Writable, options: { fallback?: string; immutable?: (file: string) => boolean; headers?: OutgoingHttpHeaders } = {}): Promise<number> {
  const send = (status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    res.end(text)
    return status
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method not allowed\n')
  const resolved = resolveInside(root, urlPath)
  if ('status' in resolved) return send(resolved.status, STATUS_TEXT[resolved.status])
  let file = resolved.file
  let stat = await fs.promises.stat(file).catch(() => undefined)
  if (stat?.isDirectory()) {
    file = path.join(file, 'index.html')
    stat = await fs.promises.stat(file).catch(() => undefined)
  }
  if ((!stat || !stat.isFile()) && options.fallback) {
    file = path.join(root, options.fallback)
    stat = await fs.promises.stat(file).catch(() => undefined)
  }
  if (!stat || !stat.isFile()) return send(404, STATUS_TEXT[404])
  // A symbolic link may point anywhere: what is served must really lie inside the folder.
  if (!(await liesInside(root, file))) return send(403, STATUS_TEXT[403])

  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`
  const lastModified = stat.mtime.toUTCString()
  const headers: OutgoingHttpHeaders = {
    'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    etag,
    'last-modified': lastModified,
    'accept-ranges': 'bytes',
    'cache-control': options.immutable?.(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    ...options.headers,
  }
  const inm = req.headers['if-none-match']
  const ims = req.headers['if-modified-since']
  if ((inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) || (!inm && ims && Date.parse(ims) >= Math.floor(stat.mtimeMs / 1000) * 1000)) {
    res.writeHead(304, { etag, 'last-modified': lastModified })
    res.end()
    return 304
  }
  const rangeHeader = req.headers.range
  const ifRange = req.headers['if-range']
  const range = rangeHeader && (!ifRange || ifRange === etag || ifRange === lastModified) ? parseRange(rangeHeader, stat.size) : undefined
  if (range === 'invalid') {
    res.writeHead(416, { 'content-range': `bytes */${stat.size}` })
    res.end()
    return 416
  }
  const status = range ? 206 : 200
  const start = range ? range.start : 0
  const end = range ? range.end : stat.size - 1
  res.writeHead(status, { ...headers, 'content-length': stat.size === 0 ? 0 : end - start + 1, ...(range ? { 'content-range': `bytes ${start}-${end}/${stat.size}` } : {}) })
  if (req.method === 'HEAD' || stat.size === 0) {
    res.end()
    return status
  }
  await new Promise<void>((resolve) => {
    const stream = fs.createReadStream(file, { start, end })
    stream.on('error', () => {
      res.destroy()
      resolve()
    })
    stream.on('end', resolve)
    stream.pipe(res)
  })
  return status
}
