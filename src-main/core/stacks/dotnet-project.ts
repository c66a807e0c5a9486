import fs from 'node:fs/promises'
import path from 'node:path'
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser'
import { z } from 'zod'
import type { AppServer } from './stack-schema.js'
import { CodedError } from '../error-codes.js'

const LaunchSettingsSchema = z.object({
  profiles: z
    .record(
      z.string(),
      z.object({
        commandName: z.string().optional(),
        applicationUrl: z.string().optional(),
        environmentVariables: z.record(z.string(), z.string()).optional(),
      }),
    )
    .default({}),
})

export interface LaunchProfile {
  name: string
  applicationUrls: string[]
  environmentVariables: Record<string, string>
}

export interface DotnetProject {
  folder: string
  csproj: string
  assemblyName: string
  /** Profiles that run the project itself (commandName "Project"), in file order. */
  profiles: LaunchProfile[]
}

/** Finds the one .csproj in `folder` (or takes the given file) and reads Properties/launchSettings.json. */
export async function readDotnetProject(folderOrCsproj: string): Promise<DotnetProject> {
  const target = path.resolve(folderOrCsproj)
  const stat = await fs.stat(target).catch(() => undefined)
  if (!stat) throw new CodedError('not-found', `${target} does not exist`)
  let csproj: string
  if (stat.isFile()) {
    if (!target.endsWith('.csproj')) throw new Error(`${target} is not a .csproj file`)
    csproj = target
  } else {
    const found = (await fs.readdir(target)).filter((f) => f.endsWith('.csproj'))
    if (found.length === 0) throw new Error(`${target} holds no .csproj file; pick the folder of an ASP.NET Core project`)
    if (found.length > 1) throw new Error(`${target} holds several projects (${found.join(', ')}); pick one .csproj`)
    csproj = path.join(target, found[0])
  }
  const folder = path.dirname(csproj)
  const text = await fs.readFile(csproj, 'utf8')
  const assemblyName = /<AssemblyName>\s*([^<\s]+)\s*<\/AssemblyName>/.exec(text)?.[1] ?? path.basename(csproj, '.csproj')
  return { folder, csproj, assemblyName, profiles: await readLaunchProfiles(path.join(folder, 'Properties', 'launchSettings.json')) }
}

async function readLaunchProfiles(file: string): Promise<LaunchProfile[]> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch {
    return []
  }
  const errors: ParseError[] = []
  const json = parseJsonc(text, errors, { allowTrailingComma: true })
  if (errors.length) {
    const e = errors[0]
    const line = text.slice(0, e.offset).split('\n').length
    throw new Error(`${file}:${line}: ${printParseErrorCode(e.error)}`)
  }
  const parsed = LaunchSettingsSchema.safeParse(json)
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0].path.join('.')} ${parsed.error.issues[0].message}`)
  return Object.entries(parsed.data.profiles)
    .filter(([, p]) => (p.commandName ?? 'Project') === 'Project')
    .map(([name, p]) => ({
      name,
      applicationUrls: (p.applicationUrl ?? '').split(';').map((u) => u.trim()).filter(Boolean),
      environmentVariables: p.environmentVariables ?? {},
    }))
}

/**
 * The app server Aerie proposes for a project: the chosen profile's environment
 * (ASPNETCORE_ENVIRONMENT defaulting to Development), ports allocated by Aerie instead of
 * the profile's applicationUrl, readiness by TCP connect.
 */
export function proposeAppServer(project: DotnetProject, profileName?: string): { appServer: Partial<AppServer> & { name: string }; notes: string[] } {
  const profile = profileName ? project.profiles.find((p) => p.name === profileName) : project.profiles[0]
  if (profileName && !profile) throw new Error(`launchSettings.json has no profile "${profileName}" (it has: ${project.profiles.map((p) => p.name).join(', ') || 'none'})`)
  const env = { ASPNETCORE_ENVIRONMENT: 'Development', ...(profile?.environmentVariables ?? {}) }
  const notes: string[] = []
  if (profile?.applicationUrls.length)
    notes.push(`profile "${profile.name}" listens on ${profile.applicationUrls.join(', ')}; Aerie gives each instance its own port through ASPNETCORE_URLS instead`)
  if (!profile) notes.push('no launch profile found; using ASPNETCORE_ENVIRONMENT=Development')
  const name = project.assemblyName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'app'
  return {
    appServer: { name, kind: 'dotnet', project: project.csproj, dotnetMode: 'run', env, instances: 1, ports: 'auto', readiness: { kind: 'tcp', path: '/', expectStatus: 200, timeoutMs: 120_000 } },
    notes,
  }
}
