import http from 'node:http'

/**
 * A bounded keep-alive load on 127.0.0.1 that, like browsers, sends an idempotent GET once
 * more (on a new connection) when its connection closes before any response byte
 * (RFC 9110 §9.2.2, RFC 9112 §9.3.1). A server that closes connections on a graceful reload
 * (nginx's old workers close idle and just-accepted ones) races with requests already on
 * the wire; only a failure of that retry, or an error status, counts as a failed request.
 */
export async function browserLikeLoad(options: { port: number; host: string; connections: number; durationMs: number; path?: string }): Promise<{ ok: number; failed: number; retried: number; statuses: Record<number, number>; errors: string[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections })
  const deadline = Date.now() + options.durationMs
  const result = { ok: 0, failed: 0, retried: 0, statuses: {} as Record<number, number>, errors: [] as string[] }
  const once = (fresh = false) =>
    new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: options.port, path: options.path ?? '/load', headers: { host: options.host }, agent: fresh ? false : agent }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      })
      req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket })))
    })
  const worker = async () => {
    while (Date.now() < deadline) {
      let status: number
      try {
        status = await once()
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { reused?: boolean }
        if (e.code !== 'ECONNRESET') {
          result.failed++
          result.errors.push(`${e.code ?? e.message} (reused connection: ${Boolean(e.reused)})`)
          continue
        }
        result.retried++
        try {
          status = await once(true)
        } catch (retryErr) {
          result.failed++
          result.errors.push(`retry failed: ${(retryErr as Error).message}`)
          continue
        }
      }
      result.statuses[status] = (result.statuses[status] ?? 0) + 1
      if (status >= 200 && status < 400) result.ok++
      else result.failed++
    }
  }
  await Promise.all(Array.from({ length: options.connections }, worker))
  agent.destroy()
  return result
}
