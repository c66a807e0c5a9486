// Bench target: an engine stand-in that starts Aerie's built-in proxy, which runs in its own process
// (the bench measures that one, from the build). TRACES=on turns every trace into the engine's Telemetry, as a stack does;
// TRACES=off makes the proxy process drop them (AERIE_PROXY_TRACES=off), to measure what they cost; CACHE=on adds proxy.cache;
// OTLP=on also runs the engine's OTLP receiver in this process (as the engine does) and prints its endpoint and a stack's key.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { builtinProxyDriver } from '../../../src-main/core/proxy/builtin/builtin-proxy.js'
import { Telemetry } from '../../../src-main/core/telemetry/telemetry.js'
import { AppTelemetry } from '../../../src-main/core/telemetry/otlp/app-telemetry.js'
import { OtlpReceiver } from '../../../src-main/core/telemetry/otlp/otlp-receiver.js'
import { defaultSettings } from '../../support/upstreams.js'

// The proxy process as it ships: the built proxy-host.js that `aerie serve` forks (npm run bench builds it first), not the sources through tsx.
const builtHost = fileURLToPath(new URL('../../../out/main/proxy-host.js', import.meta.url))
if (!fs.existsSync(builtHost)) throw new Error(`${builtHost} is missing: run npm run build first`)
process.env.AERIE_PROXY_HOST_FILE ??= builtHost

const telemetry = new Telemetry()
const tracesOn = process.env.TRACES === 'on'
if (!tracesOn) process.env.AERIE_PROXY_TRACES = 'off'
let seen = 0
await builtinProxyDriver.start(
  {
    stackId: 'bench',
    listenHost: '127.0.0.1',
    httpPort: Number(process.env.PORT),
    hostnames: ['bench.localhost', '127.0.0.1'],
    routes: [{ pathPrefix: '/', appServer: 'up', upstreams: [{ id: 'up#1', host: '127.0.0.1', port: Number(process.env.UPSTREAM_PORT), state: () => 'running', problem: () => undefined }] }],
    settings: defaultSettings({ compression: false, ...(process.env.CACHE === 'on' ? { cache: { maxSizeMb: 16 } } : {}) }),
  },
  {
    log: (lines) => process.env.BENCH_DEBUG && console.error(lines.join('\n')),
    trace: (t) => telemetry.trace(t),
    // As a stack runner hands them over: the batch as it came, kept without decoding while no face listens.
    traceBatch: (batch) => {
      seen += batch.count
      telemetry.traceBatch(batch)
    },
  },
)
const appTelemetry = new AppTelemetry()
if (process.env.OTLP === 'on') {
  const receiver = new OtlpReceiver(appTelemetry, (m) => console.error(m))
  await receiver.start()
  console.log(`otlp ${receiver.endpoint} ${receiver.keyFor('bench')}`)
}
console.log('ready')
process.on('SIGTERM', () => {
  console.error(`traces recorded: ${seen}; app spans kept: ${JSON.stringify(appTelemetry.stats())}`)
  process.exit(0)
})
