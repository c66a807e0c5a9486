import path from 'node:path'
import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams, ExportedFile } from './export-params.js'

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)

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
      return {
        name: `${app.name}/web.config`,
        content: `<?xml version="1.0" encoding="utf-8"?>
<!-- web.config for "${xml(app.name)}" of "${xml(stack.name)}", exported by Aerie. Needs the ASP.NET Core Hosting Bundle on the server. -->
<configuration>
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
