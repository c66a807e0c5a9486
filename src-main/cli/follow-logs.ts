import WebSocket from 'ws'
import type { LogLine } from '../contract.js'
import type { ReachableEngineLock } from '../core/engine-lock.js'
import { WS_PATH } from '../server/wire.js'
import { formatLogLine } from './format.js'

/** `aerie logs -f`: prints new log lines from the running engine until Ctrl-C or until the engine goes away. */
export function followLogs(lock: ReachableEngineLock, stackId: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${lock.port}${WS_PATH}?token=${encodeURIComponent(lock.token)}`)
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; name?: string; payload?: unknown }
      if (message.type !== 'event' || message.name !== 'log:lines') return
      for (const line of message.payload as LogLine[]) if (!stackId || line.stackId === stackId) console.log(formatLogLine(line))
    })
    ws.on('close', () => {
      console.error('aerie: the engine closed the connection')
      resolve(0)
    })
    ws.on('error', (err) => {
      console.error(`aerie: cannot follow the engine's logs: ${err.message}`)
      resolve(1)
    })
    process.once('SIGINT', () => ws.close())
    process.once('SIGTERM', () => ws.close())
  })
}
