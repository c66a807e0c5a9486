import { createRequire } from 'node:module'
import type net from 'node:net'

export type ParseError = Error & { code?: string; reason?: string }

/** Node's own HTTP/1 parser (llhttp, native), as node:http uses it, with its refusals (ambiguous framing, bad characters, oversized heads). */
export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void
  execute(data: Buffer): number | ParseError
  finish(): number | Error | undefined
  close(): void
  /** Milliseconds since the current message's first byte; its head is complete when headersCompleted() says so. */
  duration(): number
  headersCompleted(): boolean
  consume(handle: StreamHandle): void
  unconsume(): void
  /** The bytes of the read being parsed (a consumed socket's, which no 'data' event carried). */
  getCurrentBuffer(): Buffer
  [callback: number]: unknown
}

export const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as {
  HTTPParser: { new (): NativeParser; REQUEST: number; RESPONSE: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number; kOnExecute: number }
  methods: string[]
}

/** A connected socket's libuv stream, which the parser can read from itself. */
interface StreamHandle {
  isStreamBase?: boolean
  _consumed?: boolean
  reading?: boolean
  readStart(): number
  readStop(): number
}

/** How a socket's bytes reach its parser; `release` gives the socket back (an upgrade's tunnel reads it then). */
export interface ParserFeed {
  release(): void
}

/**
 * Feeds a socket's bytes to `parser`, and calls `executed` after each read with what execute()
 * answered (and the bytes, when they came as a 'data' event). Where the socket has a libuv stream
 * the parser reads it itself (consume, as node:http's server does): no 'data' event, Buffer push or
 * Readable bookkeeping per read, which measured about 5 µs of proxy CPU per request. Pausing the
 * socket then stops the stream (`mayRead` says whether a 'resume' may start it again), and reads
 * refresh the socket's idle timer, which only 'data' events would otherwise do.
 */
export function feedParser(socket: net.Socket, parser: NativeParser, executed: (result: number | ParseError, data: Buffer | undefined) => void, mayRead: () => boolean = () => true): ParserFeed {
  const handle = (socket as unknown as { _handle?: StreamHandle })._handle
  if (!handle?.isStreamBase || handle._consumed) {
    const onData = (data: Buffer) => executed(parser.execute(data), data)
    socket.on('data', onData)
    return { release: () => socket.removeListener('data', onData) }
  }
  handle._consumed = true
  parser.consume(handle)
  const refresh = socket as unknown as { _unrefTimer(): void }
  parser[HTTPParser.kOnExecute] = (result: number | ParseError) => {
    refresh._unrefTimer()
    executed(result, undefined)
  }
  const setReading = (on: boolean) => {
    if (socket.destroyed || handle.reading === on) return
    handle.reading = on
    if (on) handle.readStart()
    else handle.readStop()
  }
  const onPause = () => setReading(false)
  const onResume = () => setReading(mayRead())
  socket.on('pause', onPause)
  socket.on('resume', onResume)
  return {
    release: () => {
      parser.unconsume()
      handle._consumed = false
      socket.removeListener('pause', onPause)
      socket.removeListener('resume', onResume)
    },
  }
}
