import { formatLogLine } from './format.js'
import { hostEngine } from './hosted-engine.js'

/** `aerie serve`: the engine plus the UI and API on loopback, until a signal stops it. */
export async function serve(options: { port: number; quiet: boolean; newToken: boolean; logBufferLines?: number }): Promise<void> {
  const { engine, server, dir } = await hostEngine({
    port: options.port,
    logBufferLines: options.logBufferLines,
    face: 'serve',
    newToken: options.newToken,
    onSignal: (signal) => console.log(`aerie: ${signal}: stopping every stack`),
  })
  if (!options.quiet) engine.on('log:lines', (lines) => lines.forEach((l) => console.log(formatLogLine(l))))
  console.log(`Aerie is serving its UI at ${server.url}`)
  console.log(`data directory: ${dir}`)
}
