import { spawn } from 'node:child_process'
import path from 'node:path'
import type { AppServer } from '../stacks/stack-schema.js'
import { readDotnetProject } from '../stacks/dotnet-project.js'
import { LineSplitter } from '../util/line-splitter.js'
import { expandTokens } from './instance-env.js'
import { resolveCommand } from './resolve-command.js'

/** A first `dotnet build` restores packages and can take minutes on a cold machine. */
const DOTNET_BUILD_TIMEOUT_MS = 5 * 60_000
/** Lines of build output quoted in the error when a build fails. */
const BUILD_ERROR_LINES = 8

export interface Launch {
  command: string
  args: string[]
  cwd: string
}

/**
 * What to run for each instance of `app` (relative paths from `baseDir`); a .NET project is built
 * once first, into `buildDir` with build-once.
 */
export async function launchFor(app: AppServer, where: { baseDir: string; buildDir: string; log: (lines: string[]) => void }): Promise<Launch> {
  const cwd = app.cwd ? path.resolve(where.baseDir, expandTokens(app.cwd)) : where.baseDir
  if (app.kind !== 'dotnet') return { command: expandTokens(app.command), args: [], cwd }
  const project = path.resolve(where.baseDir, expandTokens(app.project ?? ''))
  const launch = await prepareDotnet({ ...app, project }, where.buildDir, where.log)
  return app.cwd ? { ...launch, cwd } : launch
}

/**
 * Builds a `dotnet` app server once, then says how to run each instance:
 * `dotnet run --no-build --no-launch-profile` (mode run) or `dotnet <dll>` from a
 * private output folder (mode build-once). One build for N instances also avoids N
 * concurrent builds fighting over the same obj/ folder.
 */
export async function prepareDotnet(app: AppServer, outDir: string, log: (lines: string[]) => void): Promise<Launch> {
  const project = await readDotnetProject(app.project ?? '')
  const dotnet = resolveCommand('dotnet', process.env, project.folder)
  const args = ['build', project.csproj, '-nologo', '-v', 'q', '-c', 'Debug', ...(app.dotnetMode === 'build-once' ? ['-o', outDir] : [])]
  log([`$ dotnet ${args.join(' ')}`])
  await runBuild(dotnet, args, project.folder, log)
  if (app.dotnetMode === 'build-once') {
    return { command: dotnet, args: [path.join(outDir, `${project.assemblyName}.dll`)], cwd: project.folder }
  }
  return { command: dotnet, args: ['run', '--no-build', '--no-launch-profile', '--project', project.csproj], cwd: project.folder }
}

function runBuild(command: string, args: string[], cwd: string, log: (lines: string[]) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    const splitter = new LineSplitter()
    const tail: string[] = []
    const onData = (chunk: Buffer) => {
      const lines = splitter.push(chunk.toString('utf8')).filter((l) => l.trim())
      tail.push(...lines)
      tail.splice(0, Math.max(0, tail.length - BUILD_ERROR_LINES))
      if (lines.length) log(lines)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    const timer = setTimeout(() => child.kill('SIGKILL'), DOTNET_BUILD_TIMEOUT_MS)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`could not run dotnet build: ${err.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else reject(new Error(`dotnet build failed (${signal ? `killed by ${signal}` : `exit code ${code}`}):\n${tail.join('\n')}`))
    })
  })
}
