import path from 'node:path'
import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams, ExportedFile } from './export-params.js'

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The proxy duties a web.config for the ASP.NET Core Module cannot hold, as comments saying what to
 * configure in IIS instead (URL Rewrite, Output Caching, Dynamic IP Restrictions, HTTP Response Headers).
 */
function iisNotes(stack: Stack): string {
  const notes: string[] = []
  if (stack.rewrites.length) notes.push(`proxy rewrites (${stack.rewrites.map((r) => `${r.match} -> ${r.to}${r.redirect ? ` (${r.redirect})` : ''}`).join('; ')}): add them as URL Rewrite module rules`)
  const headers = [...Object.keys(stack.headers.response.set), ...stack.headers.response.remove.map((n) => `-${n}`)]
  if (headers.length) notes.push(`response headers (${headers.join(', ')}): set them under system.webServer/httpProtocol/customHeaders`)
  if (stack.proxy.hsts) notes.push(`HSTS (max-age=${stack.proxy.hsts.maxAgeSeconds}): IIS 10's site hsts element, or the app's UseHsts()`)
  if (stack.proxy.cache) notes.push('a response cache: IIS Output Caching (system.webServer/caching), or the app\'s output caching')
  if (stack.proxy.rateLimit) notes.push(`a rate limit (${stack.proxy.rateLimit.requestsPerSecond}/s per client): the Dynamic IP Restrictions module, or the app's rate limiter`)
  return notes.map((n) => `\n  <!-- Not in this file: ${xml(n).replace(/--/g, '- -')}. -->`).join('')
}

/**
 * A web.config for the ASP.NET Core Module per .NET app server (IIS cannot run here, so Aerie
 * exports what IIS needs instead): in-process hosting, the app's environment, stdout logs off.
 */
export function renderIisWebConfigs(stack: Stack, _params: ExportParams): ExportedFile[] {
  return stack.appServers
    .filter((a) => a.kind === 'dotnet')
    .map((app) => {
      const dll = `${path.basename(app.project ?? app.name, '.csproj')}.dll`
      const env = Object.entries({ ...app.env, ASPNETCORE_ENVIRONMENT: 'Production' })
        .map(([k, v]) => `          <environmentVariable name="${xml(k)}" value="${xml(v)}" />`)
        .join('\n')
      const notes = iisNotes(stack)
      return {
        name: `${app.name}/web.config`,
        content: `<?xml version="1.0" encoding="utf-8"?>
<!-- web.config for "${xml(app.name)}" of "${xml(stack.name)}", exported by Aerie. Needs the ASP.NET Core Hosting Bundle on the server. -->
<configuration>${notes}
  <location path="." inheritInChildApplications="false">
    <system.webServer>
      <handlers>
        <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />
      </handlers>
      <aspNetCore processPath="dotnet" arguments=".\\${xml(dll)}" stdoutLogEnabled="false" stdoutLogFile=".\\logs\\stdout" hostingModel="inprocess">
        <environmentVariables>
${env}
        </environmentVariables>
      </aspNetCore>
      <!-- The stack's body limit: IIS answers a larger request with 413 (${stack.proxy.maxBodySize ? `${stack.proxy.maxBodySize} bytes` : 'none: the largest IIS allows'}). -->
      <security>
        <requestFiltering>
          <requestLimits maxAllowedContentLength="${stack.proxy.maxBodySize || 4294967295}" />
        </requestFiltering>
      </security>
    </system.webServer>
  </location>
</configuration>
`,
      }
    })
}
