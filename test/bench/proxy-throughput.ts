// `npm run bench`: throughput and latency of the demo stack through the built-in proxy, against
// 127.0.0.1 only, for a bounded time; also the time for the stack to start and stop.
import autocannon from 'autocannon'
import { Engine } from '../../src-main/core/engine.js'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { tempHome } from '../support/temp-home.js'

/** Long enough for a stable number on 2 cores, short enough to run often. */
const DURATION_S = 5
const CONNECTIONS = 20

const home = tempHome('aerie-bench-')
const port = await findFreePort()
process.env.AERIE_DEMO_PORT = String(port)
const engine = new Engine({ dataDir: home.dir })
await engine.init()

try {
  let t = performance.now()
  await engine.invoke('stack:start', { id: 'demo' })
  const startMs = performance.now() - t

  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/whoami`,
    headers: { host: `demo.localhost:${port}` },
    connections: CONNECTIONS,
    duration: DURATION_S,
  })

  t = performance.now()
  await engine.invoke('stack:stop', { id: 'demo' })
  const stopMs = performance.now() - t

  const rssMb = process.memoryUsage().rss / 1024 / 1024
  console.log(
    JSON.stringify(
      {
        stackStartMs: Math.round(startMs),
        stackStopMs: Math.round(stopMs),
        requestsPerSecond: Math.round(result.requests.average),
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
        engineRssMb: Math.round(rssMb),
      },
      null,
      2,
    ),
  )
} finally {
  await engine.shutdown()
  home.cleanup()
}
