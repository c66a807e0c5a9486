import net from 'node:net'
import tls from 'node:tls'

/**
 * Sends bytes exactly as given over a new TCP (or, with `tls`, TLS with ALPN http/1.1) connection
 * to 127.0.0.1 and resolves everything the server sent until it closed (or `timeoutMs` passed).
 */
export function raw(port: number, text: string | Buffer, options: { tls?: { servername: string; ca: string }; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const onConnect = () => socket.write(text)
    const socket = options.tls
      ? tls.connect({ port, host: '127.0.0.1', servername: options.tls.servername, ca: options.tls.ca, ALPNProtocols: ['http/1.1'] }, onConnect)
      : net.connect(port, '127.0.0.1', onConnect)
    let out = ''
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 5_000)
    socket.on('data', (d) => (out += d.toString('latin1')))
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(out)
    })
    socket.on('error', (err) => (out ? undefined : reject(err)))
  })
}
