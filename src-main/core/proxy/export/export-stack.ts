import fs from 'node:fs/promises'
import path from 'node:path'
import { createTwoFilesPatch } from 'diff'
import { writeFileAtomic } from '../../atomic-file.js'
import { dataLayout } from '../../data-layout.js'
import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams, ExportTarget, ExportedFile } from './export-params.js'
import { renderApacheVhost } from './render-apache-vhost.js'
import { renderProductionCaddyfile } from './render-caddyfile.js'
import { renderIisWebConfigs } from './render-iis-web-config.js'
import { renderNginxSite } from './render-nginx-site.js'
import { renderSystemdUnits } from './render-systemd.js'
import { renderYarpSettings } from './render-yarp.js'
import { YARP_HOST_PROGRAM, YARP_HOST_PROJECT } from './yarp-host-program.js'

/** The files one export target produces for a stack. */
export function renderExport(stack: Stack, to: ExportTarget, params: ExportParams): ExportedFile[] {
  switch (to) {
    case 'nginx':
      return [{ name: `${stack.id}.nginx.conf`, content: renderNginxSite(stack, params) }]
    case 'apache':
      return [{ name: `${stack.id}.apache.conf`, content: renderApacheVhost(stack, params) }]
    case 'caddy':
      return [{ name: 'Caddyfile', content: renderProductionCaddyfile(stack, params) }]
    case 'yarp':
      return [
        { name: 'appsettings.ReverseProxy.json', content: renderYarpSettings(stack, params) },
        { name: 'Program.cs', content: YARP_HOST_PROGRAM },
        { name: 'YarpHost.csproj', content: YARP_HOST_PROJECT },
      ]
    case 'systemd':
      return renderSystemdUnits(stack, params)
    case 'iis': {
      const files = renderIisWebConfigs(stack, params)
      if (!files.length) throw new Error(`stack "${stack.id}" has no .NET app server; IIS hosts ASP.NET Core apps through the ASP.NET Core Module`)
      return files
    }
  }
}

/**
 * Renders an export, compares it with the last export of the same target (kept under
 * `<dataDir>/exports/`), and keeps this one as the new "last".
 */
export async function exportStack(dataDir: string, stack: Stack, to: ExportTarget, params: ExportParams): Promise<{ files: (ExportedFile & { diff?: string })[] }> {
  const dir = path.join(dataLayout(dataDir).exports(stack.id), to)
  const files = renderExport(stack, to, params)
  const out = []
  for (const file of files) {
    const stored = path.join(dir, file.name)
    const previous = await fs.readFile(stored, 'utf8').catch(() => undefined)
    const diff = previous !== undefined && previous !== file.content ? createTwoFilesPatch(`${file.name} (last export)`, `${file.name} (now)`, previous, file.content) : undefined
    await writeFileAtomic(stored, file.content)
    out.push({ ...file, ...(diff ? { diff } : {}) })
  }
  return { files: out }
}
