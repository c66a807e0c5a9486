import WebSocket from 'ws'
import type { LogLine } from '../contract.js'
import type { ReachableEngineLock } from '../core/engine-lock.js'
import { WS_PATH } from '../server/wire.js'
import { formatLogLine } from './format.js'

/**
 * `aerie logs -f`: the tail, then every new log line from the running engine until Ctrl-C or until
 * the engine goes away. The event stream is open before the tail is read, so a line logged in
 * between is not lost; lines are printed once, in order of their sequence numbers.
 */
export function followLogs(lock: ReachableEngineLock, stackId: string | undefined, readTail: () => Promise<LogLine[]>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${lock.port}${WS_PATH}?token=${encodeURIComponent(lock.token)}`)
    let lastSeq = -1
    let early: LogLine[] | undefined = []
    const print = (lines: LogLine[]) => {
      for (const line of lines) {
        if (line.seq <= lastSeq || (stackId && line.stackId !== stackId)) continue
        lastSeq = line.seq
        console.log(formatLogLine(line))
      }
    }
    ws.on('open', () => {
      readTail().then(
        (tail) => {
          print(tail)
          const pending = early ?? []
          early = undefined
          print(pending)
        },
        (err: Error) => {
          console.error(`aerie: ${err.message}`)
          ws.close()
        },
      )
    })
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; name?: string; payload?: unknown }
      if (message.type !== 'event' || message.name !== 'log:lines') return
      if (early) early.push(...(message.payload as LogLine[]))
      else print(message.payload as LogLine[])
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
