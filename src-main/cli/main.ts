import fs from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { EngineApi } from '../contract.js'
import { Engine } from '../core/engine.js'
import { isReachable, readEngineLock } from '../core/engine-lock.js'
import { dataDir, projectRoot } from '../core/paths.js'
import { EXPORT_TARGETS } from '../core/proxy/export/export-params.js'
import { followLogs } from './follow-logs.js'
import { formatLogLine, formatStackList, formatStackStatus, red, stacksJson } from './format.js'
import { runInForeground } from './foreground.js'
import { offlineLogTail, offlineStackView, offlineStackViews } from './offline.js'
import { RemoteEngine } from './remote-engine.js'
import { MAX_LOG_BUFFER_LINES } from '../core/telemetry/telemetry.js'
import { hostsWithNames, stackNames, writeHostsBlock } from '../core/hosts-file.js'
import { serve } from './serve.js'

const USAGE = `Usage: aerie <command> [options]

Commands:
  list [--json]        list the stacks and their state
  status [stack] [--json]
                       show stacks with their processes, pids and ports
  start <stack>        start a stack (in the running app/server, or here in the foreground)
  stop <stack>         stop a stack in the running app/server
  logs [stack] [-f]    the last log lines (of one stack); -f follows the running engine's new lines
  import <folder>      add the stack kept in <folder>/aerie.stack.json (edits there apply)
  export <stack> --to nginx|apache|caddy|yarp|iis|systemd [--server-name a.com,b.com] [--cert F] [--key F] [--out DIR]
         [--base-port N] [--app-dir DIR] [--listen ADDR] [--http-port N] [--https-port N]
                       the stack as production configuration, with a diff against the last export
                       (Kestrel from --base-port, default 5000; the app under --app-dir, default /var/www/app)
  cache purge <stack> [path]
                       empty a running stack's response cache (proxy.cache), or what is under path
  doctor <stack> [--json]
                       what makes the app behave differently behind the proxy, from the running
                       stack's recent traces and logs, with the evidence and the fix
  hosts apply|remove|show
                       map every stack's host names to 127.0.0.1 and ::1 in a marked block of the
                       hosts file (for the app and tools: the system's resolver does not know
                       *.localhost), take the block out, or print it
  serve [--port N]     run the engine with its UI in a browser, on 127.0.0.1 only

Options:
  --port N             port for \`serve\` (default: a free port)
  --quiet              \`serve\`: do not print process logs
  --log-buffer N       \`serve\`: log lines the engine keeps in memory for the UI (default 10000, or $AERIE_LOG_BUFFER_LINES)
  --new-token          \`serve\`: a new access token for the UI's URL (the old one stops working)
  --json               \`list\`, \`status\`, \`doctor\`: the answer as JSON (shapes in the README)
  -v, --version        print Aerie's version
  -h, --help           show this help

Data directory: $AERIE_HOME, else the platform's user data directory.`

class UsageError extends Error {}

function parseLogBuffer(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 100 || n > MAX_LOG_BUFFER_LINES) throw new UsageError(`--log-buffer takes a number of lines from 100 to ${MAX_LOG_BUFFER_LINES}, not "${value}"`)
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
  const lock = await readEngineLock(dataDir())
  if (!lock) return undefined
  if (!isReachable(lock)) throw new Error(`an Aerie engine is starting for ${dataDir()} (pid ${lock.pid}); try again in a moment`)
  return new RemoteEngine(lock)
}

/**
 * A command that changes the data directory runs in the running engine when there is one, else in
 * an engine of its own for the length of the command (it takes the data directory's lock like any).
 */
async function withEngine<T>(command: (engine: EngineApi) => Promise<T>): Promise<T> {
  const remote = await runningEngine()
  if (remote) return command(remote)
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
  if (!id) throw new UsageError(`\`aerie ${command}\` needs a stack id; see \`aerie list\``)
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
    console.error(`aerie: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const command = positionals[0]
  if (values.version) {
    console.log(JSON.parse(await fs.readFile(path.join(projectRoot(), 'package.json'), 'utf8')).version)
    return 0
  }
  if (values.help || !command) {
    console.log(USAGE)
    return command || values.help ? 0 : 2
  }
  try {
    switch (command) {
      case 'list': {
        const engine = await runningEngine()
        const views = engine ? await engine.invoke('stack:list', {}) : await offlineStackViews(dataDir())
        console.log(values.json ? JSON.stringify(stacksJson(views, Boolean(engine), false), null, 2) : formatStackList(views))
        return 0
      }
      case 'status': {
        const engine = await runningEngine()
        const id = positionals[1]
        const views = engine
          ? id ? [await engine.invoke('stack:get', { id })] : await engine.invoke('stack:list', {})
          : id ? [await offlineStackView(dataDir(), id)] : await offlineStackViews(dataDir())
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
          await offlineStackView(dataDir(), id)
          console.log(`No Aerie engine is running for ${dataDir()}, so stack ${id} is not running.`)
          return 0
        }
        console.log(formatStackStatus(await engine.invoke('stack:stop', { id })))
        return 0
      }
      case 'logs': {
        const stackId = positionals[1]
        const lock = await readEngineLock(dataDir())
        const engine = await runningEngine()
        const tail = engine ? await engine.invoke('log:tail', { stackId, limit: 200 }) : await offlineLogTail(dataDir(), stackId, 200)
        for (const line of tail) console.log(formatLogLine(line))
        if (!values.follow) return 0
        if (!isReachable(lock)) throw new Error('no Aerie engine is running, so there is nothing to follow; start one with `aerie serve` or the app')
        return followLogs(lock, stackId)
      }
      case 'import': {
        const folder = positionals[1]
        if (!folder) throw new UsageError('`aerie import` needs a folder that holds aerie.stack.json (or the file itself)')
        const view = await withEngine((engine) => engine.invoke('stack:import', { path: path.resolve(folder) }))
        console.log(`Imported ${view.stack.name} (${view.stack.id}) from ${view.source}`)
        return 0
      }
      case 'export': {
        const id = needStack(positionals, command)
        if (!values.to || !(EXPORT_TARGETS as readonly string[]).includes(values.to)) throw new UsageError(`--to must be one of ${EXPORT_TARGETS.join(', ')}`)
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
        if (positionals[1] !== 'purge') throw new UsageError('`aerie cache` takes one command: purge <stack> [path]')
        const stackId = positionals[2]
        if (!stackId) throw new UsageError('`aerie cache purge` needs a stack id; see `aerie list`')
        const engine = await runningEngine()
        if (!engine) {
          await offlineStackView(dataDir(), stackId)
          console.log(`No Aerie engine is running for ${dataDir()}, so nothing of ${stackId} is cached.`)
          return 0
        }
        const { note } = await engine.invoke('cache:purge', { stackId, ...(positionals[3] ? { path: positionals[3] } : {}) })
        console.log(note)
        return 0
      }
      case 'doctor': {
        const id = positionals[1]
        if (!id) throw new UsageError('`aerie doctor` needs a stack id; see `aerie list`')
        const engine = await runningEngine()
        if (!engine) {
          await offlineStackView(dataDir(), id)
          throw new Error(`no Aerie engine is running for ${dataDir()}: the doctor reads a running stack's traces and logs; start it first`)
        }
        const { findings } = await engine.invoke('stack:doctor', { id })
        if (values.json) console.log(JSON.stringify({ stack: id, findings }, null, 2))
        else console.log(findings.length ? findings.map((f) => [`${f.title} (${f.id})`, ...f.evidence.map((e) => `  ${e}`), `  fix: ${f.fix}`].join('\n')).join('\n\n') : `Nothing found in ${id}'s recent traces and logs that behaves differently behind the proxy.`)
        return 0
      }
      case 'hosts': {
        const action = positionals[1]
        if (action !== 'apply' && action !== 'remove' && action !== 'show') throw new UsageError('`aerie hosts` takes one command: apply, remove or show')
        const engine = await runningEngine()
        const views = engine ? await engine.invoke('stack:list', {}) : await offlineStackViews(dataDir())
        const names = stackNames(views.flatMap((v) => v.stack.hostnames))
        if (action === 'show') {
          console.log(hostsWithNames('', names).trimEnd() || 'No stack has a host name other than localhost.')
          return 0
        }
        console.log(await writeHostsBlock(action === 'apply' ? names : []))
        return 0
      }
      case 'serve':
        await serve({ port: parsePort(values.port), quiet: values.quiet ?? false, newToken: values['new-token'] ?? false, logBufferLines: parseLogBuffer(values['log-buffer']) })
        return -1
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`aerie: ${err.message}\n\n${USAGE}`)
      return 2
    }
    console.error(red(`aerie: ${(err as Error).message}`))
    return 1
  }
}
