import tls from 'node:tls'

/** HTTP/2 frame types (RFC 9113 §6). */
export const FRAME = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** One frame: 9-byte header (24-bit length, type, flags, 31-bit stream id) and its payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(streamId & 0x7fffffff, 5)
  return Buffer.concat([head, payload])
}

/** HPACK (RFC 7541) literal header fields without indexing, new names, no Huffman: enough to send any header block. */
export function headerBlock(headers: [string, string][]): Buffer {
  const parts: Buffer[] = []
  const str = (s: string) => {
    const bytes = Buffer.from(s, 'latin1')
    if (bytes.length >= 127) throw new Error('headerBlock: keep names and values under 127 bytes')
    return Buffer.concat([Buffer.from([bytes.length]), bytes])
  }
  for (const [name, value] of headers) parts.push(Buffer.from([0]), str(name), str(value))
  return Buffer.concat(parts)
}

export function rstStream(streamId: number, code = 8 /* CANCEL */): Buffer {
  const payload = Buffer.alloc(4)
  payload.writeUInt32BE(code)
  return frame(FRAME.RST_STREAM, 0, streamId, payload)
}

/** A TLS connection that negotiated h2 by ALPN, with the client preface and an empty SETTINGS frame already sent. */
export function connectH2(port: number, servername: string, ca: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername, ca, ALPNProtocols: ['h2'] }, () => {
      if (socket.alpnProtocol !== 'h2') return reject(new Error(`ALPN chose ${socket.alpnProtocol}`))
      socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]))
      resolve(socket)
    })
    socket.on('error', reject)
  })
}
