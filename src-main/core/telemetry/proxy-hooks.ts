import type { Trace } from '../../contract.js'
import type { ProxyHooks } from '../proxy/proxy-driver.js'
import type { RotatingFile } from './log-files.js'
import type { Telemetry } from './telemetry.js'
import { decodeTraces } from './trace-wire.js'

/** Where a stack's proxy sends its log lines and traces: the engine's telemetry, and with proxy.traceFile also a JSON-lines file. */
export function proxyHooks(telemetry: Telemetry, stackId: string, traceFile?: RotatingFile): ProxyHooks {
  const toFile = (t: Trace) => traceFile?.write(`${JSON.stringify(t)}\n`)
  return {
    log: (lines) => telemetry.log(stackId, 'proxy', 'system', lines),
    trace: (t) => {
      telemetry.trace(t)
      toFile(t)
    },
    traceBatch: (batch) => {
      telemetry.traceBatch(batch)
      if (traceFile) decodeTraces(batch).forEach(toFile)
    },
  }
}
