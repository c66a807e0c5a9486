import zlib from 'node:zlib'

/** Below this many bytes (when the length is known) compression costs more than it saves. */
const MIN_COMPRESS_BYTES = 1024
/** Brotli quality 4: close to gzip's speed with better ratios, as CDNs use for dynamic content. */
const BROTLI_QUALITY = 4

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|xhtml\+xml|rss\+xml|atom\+xml|wasm|manifest\+json)|image\/svg\+xml)/i

/** The encoding to apply to a response, or undefined to pass it through unchanged. */
export function chooseEncoding(options: { acceptEncoding?: string; contentType?: string; contentEncoding?: string; contentLength?: string; status: number; method: string }): 'br' | 'gzip' | undefined {
  const { acceptEncoding = '', contentType = '', contentEncoding, contentLength, status, method } = options
  if (method === 'HEAD' || status < 200 || status === 204 || status === 206 || status === 304) return undefined
  if (contentEncoding && contentEncoding !== 'identity') return undefined
  if (!COMPRESSIBLE.test(contentType)) return undefined
  if (contentLength !== undefined && Number(contentLength) < MIN_COMPRESS_BYTES) return undefined
  const accepted = new Map(
    acceptEncoding.split(',').map((part) => {
      const [name, ...params] = part.trim().toLowerCase().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return [name, q ? Number(q.slice(2)) : 1] as const
    }),
  )
  if ((accepted.get('br') ?? 0) > 0) return 'br'
  if ((accepted.get('gzip') ?? 0) > 0) return 'gzip'
  return undefined
}

export function compressor(encoding: 'br' | 'gzip'): zlib.BrotliCompress | zlib.Gzip {
  return encoding === 'br' ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }) : zlib.createGzip()
}

/** A whole body at once (a cached answer), with the same settings as the streaming compressors. */
export function compressSync(encoding: 'br' | 'gzip', body: Buffer): Buffer {
  return encoding === 'br' ? zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }) : zlib.gzipSync(body)
}

/** Adds Accept-Encoding to Vary, keeping what the app set. */
export function varyWithEncoding(vary: string | string[] | undefined): string {
  const existing = (Array.isArray(vary) ? vary.join(',') : (vary ?? '')).split(',').map((v) => v.trim()).filter(Boolean)
  return existing.some((v) => v.toLowerCase() === 'accept-encoding' || v === '*') ? existing.join(', ') : [...existing, 'Accept-Encoding'].join(', ')
}
