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

/** One probe: ready, or what it got instead (for the message when readiness times out). */
export interface ProbeResult {
  ready: boolean
  got?: string
}

function httpProbe(port: number, check: ReadinessCheck): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: check.path, timeout: READINESS_PROBE_TIMEOUT_MS, agent: false }, (res) => {
      res.resume()
      const location = res.headers.location ? ` (Location: ${res.headers.location})` : ''
      resolve({ ready: res.statusCode === check.expectStatus, got: `it answered ${res.statusCode}${location}` })
    })
    req.once('timeout', () => req.destroy(new Error(`no answer within ${READINESS_PROBE_TIMEOUT_MS} ms`)))
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ ready: false, got: err.code === 'ECONNREFUSED' ? 'nothing listened on the port' : err.message }))
  })
}

export async function probeOnce(port: number, check: ReadinessCheck): Promise<ProbeResult> {
  if (check.kind === 'http') return httpProbe(port, check)
  return (await canConnect(port, '127.0.0.1', READINESS_PROBE_TIMEOUT_MS)) ? { ready: true } : { ready: false }
}

/**
 * Probes until the check passes; rejects after check.timeoutMs or when `signal` aborts
 * (the process exited or is being stopped).
 */
export async function waitUntilReady(port: number, check: ReadinessCheck, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + check.timeoutMs
  const started = Date.now()
  while (!signal.aborted) {
    const probe = await probeOnce(port, check)
    if (probe.ready) return
    if (Date.now() >= deadline) {
      const what =
        check.kind === 'http'
          ? `GET http://127.0.0.1:${port}${check.path} was to answer ${check.expectStatus}, but ${probe.got ?? 'got nothing'}`
          : `nothing accepted a TCP connection on 127.0.0.1:${port}`
      throw new Error(`not ready after ${check.timeoutMs} ms: ${what}`)
    }
    const interval = Date.now() - started < READINESS_FAST_PHASE_MS ? READINESS_FAST_INTERVAL_MS : READINESS_SLOW_INTERVAL_MS
    await new Promise((r) => setTimeout(r, interval))
  }
  throw new Error('readiness wait aborted')
}
