// Bench target: Aerie's built-in proxy in its own process, traces kept (TRACES=on) or dropped.
import { builtinProxyDriver } from '../../../src-main/core/proxy/builtin/builtin-proxy.js'
import { Telemetry } from '../../../src-main/core/telemetry/telemetry.js'
import { defaultSettings } from '../../support/upstreams.js'

const telemetry = new Telemetry()
const tracesOn = process.env.TRACES === 'on'
let seen = 0
telemetry.onTraces((batch) => (seen += batch.length))
await builtinProxyDriver.start(
  {
    stackId: 'bench',
    listenHost: '127.0.0.1',
    httpPort: Number(process.env.PORT),
    hostnames: ['bench.localhost', '127.0.0.1'],
    routes: [{ pathPrefix: '/', appServer: 'up', upstreams: [{ id: 'up#1', host: '127.0.0.1', port: Number(process.env.UPSTREAM_PORT), state: () => 'running', problem: () => undefined }] }],
    settings: defaultSettings({ compression: false }),
  },
  { log: (lines) => process.env.BENCH_DEBUG && console.error(lines.join('\n')), trace: tracesOn ? (t) => telemetry.trace(t) : () => {} },
)
console.log('ready')
process.on('SIGTERM', () => {
  if (tracesOn) console.error(`traces recorded: ${seen}`)
  process.exit(0)
})
