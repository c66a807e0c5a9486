import http from 'node:http'
import { canConnect } from './ports.js'

/**
 * Probes run 10 ms apart for the first 2 s, so that a fast app is seen ready within a few ms
 * of listening (a connect to a closed loopback port costs microseconds), then 100 ms apart,
 * so that a slow one (dotnet run) is not hammered.
 */
export const READINESS_FAST_INTERVAL_MS = 10
export const READINESS_FAST_PHASE_MS = 2_000
export const READINESS_SLOW_INTERVAL_MS = 100
/** A single probe that takes longer than this counts as "not ready yet". */
export const READINESS_PROBE_TIMEOUT_MS = 2_000

export interface ReadinessCheck {
  kind: 'tcp' | 'http'
  path: string
  expectStatus: number
  timeoutMs: number
}

function httpProbe(port: number, check: ReadinessCheck): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: check.path, timeout: READINESS_PROBE_TIMEOUT_MS, agent: false }, (res) => {
      res.resume()
      resolve(res.statusCode === check.expectStatus)
    })
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(false))
  })
}

export function probeOnce(port: number, check: ReadinessCheck): Promise<boolean> {
  return check.kind === 'http' ? httpProbe(port, check) : canConnect(port, '127.0.0.1', READINESS_PROBE_TIMEOUT_MS)
}

/**
 * Probes until the check passes; rejects after check.timeoutMs or when `signal` aborts
 * (the process exited or is being stopped).
 */
export async function waitUntilReady(port: number, check: ReadinessCheck, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + check.timeoutMs
  const started = Date.now()
  while (!signal.aborted) {
    if (await probeOnce(port, check)) return
    if (Date.now() >= deadline) {
      const what = check.kind === 'http' ? `GET http://127.0.0.1:${port}${check.path} did not answer ${check.expectStatus}` : `nothing accepted a TCP connection on 127.0.0.1:${port}`
      throw new Error(`not ready after ${check.timeoutMs} ms: ${what}`)
    }
    const interval = Date.now() - started < READINESS_FAST_PHASE_MS ? READINESS_FAST_INTERVAL_MS : READINESS_SLOW_INTERVAL_MS
    await new Promise((r) => setTimeout(r, interval))
  }
  throw new Error('readiness wait aborted')
}
