import fs from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { CommandError, EngineApi } from '../contract.js'
import { CodedError, ERROR_CODES } from '../core/error-codes.js'
import { dataDir, projectRoot } from '../core/paths.js'
import { errorText, formatLogLine, formatStackList, formatStackStatus, setColors, stacksJson } from './format.js'
import type { RemoteEngine } from './remote-engine.js'
import { COMMAND_HELP, USAGE } from './usage.js'

// Only what every command needs is imported above: the engine, the stack files, the proxy drivers
// and the certificate libraries load when a command asks for them, so that `aerie --help` and
// `aerie list` start in a fraction of a second (npm run bench measures it).

/** The CLI flag behind each field a command's request names, so that an error speaks of what the user typed. */
const FLAG_FOR_FIELD: [RegExp, string][] = [
  [/^params\.serverNames(\[\d+\])?/, '--server-name'],
  [/^params\.certificateFile/, '--cert'],
  [/^params\.keyFile/, '--key'],
  [/^params\.basePort/, '--base-port'],
  [/^params\.appDirectory/, '--app-dir'],
  [/^params\.listenAddress/, '--listen'],
  [/^params\.httpPort/, '--http-port'],
  [/^params\.httpsPort/, '--https-port'],
  [/^to$/, '--to'],
  [/^(id|stackId)$/, 'the stack id'],
]

class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message)
  }
}

async function parseLogBuffer(value: string | undefined): Promise<number | undefined> {
  if (value === undefined) return undefined
  const { MAX_LOG_BUFFER_LINES } = await import('../core/telemetry/telemetry.js')
  const n = Number(value)
  if (!Number.isInteger(n) || n < 100 || n > MAX_LOG_BUFFER_LINES) throw new UsageError(`--log-buffer takes a number of lines from 100 to ${MAX_LOG_BUFFER_LINES}, not "${value}"`, 'serve')
  return n
}

function parsePort(value: string | undefined, flag = '--port'): number {
  if (value === undefined) return 0
  const port = Number(value)
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError(`${flag} must be a number between 1 and 65535, not "${value}"`)
  return port
}

/** The running engine of this data directory, reached over its API; undefined when none runs. */
async function runningEngine(): Promise<RemoteEngine | undefined> {
  const { isReachable, readEngineLock } = await import('../core/engine-lock.js')
  const lock = await readEngineLock(dataDir())
  if (!lock) return undefined
  if (!isReachable(lock)) throw new CodedError('unavailable', `an Aerie engine is starting for ${dataDir()} (pid ${lock.pid}); try again in a moment`)
  const { RemoteEngine } = await import('./remote-engine.js')
  return new RemoteEngine(lock)
}

const offline = () => import('./offline.js')

/** What went wrong, as the wire says it: the code, the message, and the fields at fault. */
async function describeFailure(err: unknown): Promise<CommandError> {
  if (err instanceof UsageError) return { code: 'usage', message: err.message }
  if ((err as { name?: string }).name === 'RemoteCommandError') return (err as { error: CommandError }).error
  const { toCommandError } = await import('../core/command-error.js')
  return toCommandError(err)
}

/** A validation failure in the words of the command line: `--server-name "a b" is not a valid host name`. */
function cliMessage(error: CommandError): string {
  if (!error.issues?.length) return error.message
  return error.issues
    .map((i) => {
      const flag = FLAG_FOR_FIELD.find(([pattern]) => pattern.test(i.path))?.[1]
      return flag ? `${flag}: ${i.message}` : i.path ? `${i.path} ${i.message}` : i.message
    })
    .join('; ')
}

/**
 * A command that changes the data directory runs in the running engine when there is one, else in
 * an engine of its own for the length of the command (it takes the data directory's lock like any).
 */
async function withEngine<T>(command: (engine: EngineApi) => Promise<T>): Promise<T> {
  const remote = await runningEngine()
  if (remote) return command(remote)
  const { Engine } = await import('../core/engine.js')
  const engine = new Engine({ dataDir: dataDir(), face: 'embedded' })
  await engine.init()
  try {
    return await command(engine)
  } finally {
    await engine.shutdown()
  }
}

function needStack(positionals: string[], command: string): string {
  const id = positionals[1]
  if (!id) throw new UsageError(`\`aerie ${command}\` needs a stack id; see \`aerie list\``, command)
  return id
}

export async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        quiet: { type: 'boolean' },
        json: { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        'log-buffer': { type: 'string' },
        'new-token': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        follow: { type: 'boolean', short: 'f' },
        to: { type: 'string' },
        'server-name': { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        out: { type: 'string' },
        'base-port': { type: 'string' },
        'app-dir': { type: 'string' },
        listen: { type: 'string' },
        'http-port': { type: 'string' },
        'https-port': { type: 'string' },
      },
    })
  } catch (err) {
    setColors(undefined)
    console.error(errorText(`aerie: ${(err as Error).message}`) + '\nRun `aerie help` for the commands and their options.')
    return ERROR_CODES.usage.exit
  }
  const { values, positionals } = parsed
  setColors(values['no-color'] ? false : values.color)
  const command = positionals[0]
  if (values.version) {
    console.log(JSON.parse(await fs.readFile(path.join(projectRoot(), 'package.json'), 'utf8')).version)
    return 0
  }
  if (command === 'help' || (values.help && command)) {
    const topic = command === 'help' ? positionals[1] : command
    if (!topic) return console.log(USAGE), 0
    if (!COMMAND_HELP[topic]) return console.error(errorText(`aerie: no command "${topic}"`) + '\nRun `aerie help` for the commands.'), ERROR_CODES.usage.exit
    console.log(COMMAND_HELP[topic])
    return 0
  }
  if (values.help || !command) {
    console.log(USAGE)
    return command || values.help ? 0 : ERROR_CODES.usage.exit
  }
  try {
    switch (command) {
      case 'list': {
        const engine = await runningEngine()
        const views = engine ? await engine.invoke('stack:list', {}) : await (await offline()).offlineStackViews(dataDir())
        console.log(values.json ? JSON.stringify(stacksJson(views, Boolean(engine), false), null, 2) : formatStackList(views))
        return 0
      }
      case 'status': {
        const engine = await runningEngine()
        const id = positionals[1]
        const views = engine
          ? id ? [await engine.invoke('stack:get', { id })] : await engine.invoke('stack:list', {})
          : id ? [await (await offline()).offlineStackView(dataDir(), id)] : await (await offline()).offlineStackViews(dataDir())
        if (values.json) {
          console.log(JSON.stringify(stacksJson(views, Boolean(engine), true), null, 2))
          return 0
        }
        console.log(views.map(formatStackStatus).join('\n\n') || 'No stacks yet.')
        if (!engine) console.log(`(no Aerie engine is running for ${dataDir()}: every stack is stopped)`)
        return 0
      }
      case 'start': {
        const id = needStack(positionals, command)
        const engine = await runningEngine()
        if (!engine) {
          const { runInForeground } = await import('./foreground.js')
          await runInForeground(id)
          return -1 // keep running until a signal
        }
        const view = await engine.invoke('stack:start', { id })
        console.log(formatStackStatus(view))
        return 0
      }
      case 'stop': {
        const id = needStack(positionals, command)
        const engine = await runningEngine()
        if (!engine) {
          await (await offline()).offlineStackView(dataDir(), id)
          console.log(`No Aerie engine is running for ${dataDir()}, so stack ${id} is not running.`)
          return 0
        }
        console.log(formatStackStatus(await engine.invoke('stack:stop', { id })))
        return 0
      }
      case 'logs': {
        const stackId = positionals[1]
        const { isReachable, readEngineLock } = await import('../core/engine-lock.js')
        const lock = await readEngineLock(dataDir())
        const engine = await runningEngine()
        const readTail = async () => {
          const tail = engine ? await engine.invoke('log:tail', { stackId, limit: 200 }) : await (await offline()).offlineLogTail(dataDir(), stackId, 200)
          // No lines may mean a typo: an unknown stack is "not found", not an empty log.
          if (stackId && tail.length === 0) await (engine ? engine.invoke('stack:get', { id: stackId }) : (await offline()).offlineStackView(dataDir(), stackId))
          return tail
        }
        if (!values.follow || !engine || !isReachable(lock)) {
          for (const line of await readTail()) console.log(formatLogLine(line))
          if (!values.follow) return 0
          throw new CodedError('unavailable', 'no Aerie engine is running, so there is nothing to follow; start one with `aerie serve` or the app')
        }
        const { followLogs } = await import('./follow-logs.js')
        return followLogs(lock, stackId, readTail)
      }
      case 'import': {
        const folder = positionals[1]
        if (!folder) throw new UsageError('`aerie import` needs a folder that holds aerie.stack.json (or the file itself)', command)
        const view = await withEngine((engine) => engine.invoke('stack:import', { path: path.resolve(folder) }))
        console.log(`Imported ${view.stack.name} (${view.stack.id}) from ${view.source}`)
        return 0
      }
      case 'export': {
        const id = needStack(positionals, command)
        const { EXPORT_TARGETS } = await import('../core/proxy/export/export-params.js')
        if (!values.to || !(EXPORT_TARGETS as readonly string[]).includes(values.to)) throw new UsageError(`--to must be one of ${EXPORT_TARGETS.join(', ')}`, command)
        const params = {
          ...(values['server-name'] ? { serverNames: values['server-name'].split(',').map((s) => s.trim()) } : {}),
          ...(values.cert ? { certificateFile: values.cert } : {}),
          ...(values.key ? { keyFile: values.key } : {}),
          ...(values['base-port'] ? { basePort: parsePort(values['base-port'], '--base-port') } : {}),
          ...(values['app-dir'] ? { appDirectory: values['app-dir'] } : {}),
          ...(values.listen ? { listenAddress: values.listen } : {}),
          ...(values['http-port'] ? { httpPort: parsePort(values['http-port'], '--http-port') } : {}),
          ...(values['https-port'] ? { httpsPort: parsePort(values['https-port'], '--https-port') } : {}),
        }
        if (!values.cert && ['nginx', 'apache', 'caddy'].includes(values.to))
          console.error(
            'aerie: no --cert/--key given: the certificate paths are placeholders (/etc/ssl/…) to replace with yours; certbot (--nginx, --apache) can issue them; the Caddyfile leaves them to the automatic HTTPS of Caddy',
          )
        const { files } = await withEngine((engine) => engine.invoke('stack:export', { id, to: values.to as (typeof EXPORT_TARGETS)[number], params }))
        for (const file of files) {
          if (values.out) {
            const target = path.join(values.out, file.name)
            await fs.mkdir(path.dirname(target), { recursive: true })
            await fs.writeFile(target, file.content)
            console.log(`wrote ${target}${file.diff ? ' (changed since the last export)' : ''}`)
          } else {
            console.log(`# ---- ${file.name} ----\n${file.content}`)
            if (file.diff) console.log(`# ---- changes since the last export ----\n${file.diff}`)
          }
        }
        return 0
      }
      case 'cache': {
        if (positionals[1] !== 'purge') throw new UsageError('`aerie cache` takes one command: purge <stack> [path]', command)
        const stackId = positionals[2]
        if (!stackId) throw new UsageError('`aerie cache purge` needs a stack id; see `aerie list`', command)
        const engine = await runningEngine()
        if (!engine) {
          await (await offline()).offlineStackView(dataDir(), stackId)
          console.log(`No Aerie engine is running for ${dataDir()}, so nothing of ${stackId} is cached.`)
          return 0
        }
        const { note } = await engine.invoke('cache:purge', { stackId, ...(positionals[3] ? { path: positionals[3] } : {}) })
        console.log(note)
        return 0
      }
      case 'doctor': {
        const id = positionals[1]
        if (!id) throw new UsageError('`aerie doctor` needs a stack id; see `aerie list`', command)
        const engine = await runningEngine()
        if (!engine) {
          await (await offline()).offlineStackView(dataDir(), id)
          throw new CodedError('unavailable', `no Aerie engine is running for ${dataDir()}: the doctor reads a running stack's traces and logs; start it first`)
        }
        const { findings } = await engine.invoke('stack:doctor', { id })
        if (values.json) console.log(JSON.stringify({ stack: id, findings }, null, 2))
        else console.log(findings.length ? findings.map((f) => [`${f.title} (${f.id})`, ...f.evidence.map((e) => `  ${e}`), `  fix: ${f.fix}`].join('\n')).join('\n\n') : `Nothing found in ${id}'s recent traces and logs that behaves differently behind the proxy.`)
        return 0
      }
      case 'hosts': {
        const action = positionals[1]
        if (action !== 'apply' && action !== 'remove' && action !== 'show') throw new UsageError('`aerie hosts` takes one command: apply, remove or show', command)
        const { hostsWithNames, stackNames, writeHostsBlock } = await import('../core/hosts-file.js')
        const engine = await runningEngine()
        const views = engine ? await engine.invoke('stack:list', {}) : await (await offline()).offlineStackViews(dataDir())
        const names = stackNames(views.flatMap((v) => v.stack.hostnames))
        if (action === 'show') {
          console.log(hostsWithNames('', names).trimEnd() || 'No stack has a host name other than localhost.')
          return 0
        }
        console.log(await writeHostsBlock(action === 'apply' ? names : []))
        return 0
      }
      case 'serve': {
        const options = { port: parsePort(values.port), quiet: values.quiet ?? false, newToken: values['new-token'] ?? false, logBufferLines: await parseLogBuffer(values['log-buffer']) }
        const { serve } = await import('./serve.js')
        await serve(options)
        return -1
      }
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (err) {
    const error = await describeFailure(err)
    const code = error.code ?? 'failed'
    if (values.json) console.error(JSON.stringify({ error: { ...error, code } }))
    else {
      const hint = err instanceof UsageError ? `\nRun \`aerie help${err.command ? ` ${err.command}` : ''}\` for its usage.` : ''
      console.error(errorText(`aerie: ${cliMessage(error)}`) + hint)
    }
    return ERROR_CODES[code].exit
  }
}
