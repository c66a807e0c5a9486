import { formatLogLine, formatStackStatus } from './format.js'
import { hostEngine } from './hosted-engine.js'

/** `aerie start <stack>` with no engine running: run it here, print its logs, stop it on Ctrl-C. */
export async function runInForeground(stackId: string): Promise<void> {
  const { engine, server, close } = await hostEngine({
    port: 0,
    face: 'foreground',
    onSignal: (signal) => console.log(`aerie: ${signal}: stopping ${stackId}`),
  })
  engine.on('log:lines', (lines) => lines.forEach((l) => console.log(formatLogLine(l))))
  try {
    const view = await engine.invoke('stack:start', { id: stackId })
    console.log(formatStackStatus(view))
    console.log(`UI: ${server.url}\nPress Ctrl-C to stop.`)
  } catch (err) {
    await close()
    throw err
  }
}
