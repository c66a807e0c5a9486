import { WebSocket } from 'ws'

/** Opens a WebSocket, sends one message, and resolves with the first reply (then closes). */
export function wsRoundTrip(url: string, message: string, options: WebSocket.ClientOptions & { servername?: string } = {}): Promise<string> {
  const client = new WebSocket(url, options)
  return new Promise<string>((resolve, reject) => {
    client.on('open', () => client.send(message))
    client.on('message', (m) => {
      resolve(String(m))
      client.close()
    })
    client.on('error', reject)
  })
}
