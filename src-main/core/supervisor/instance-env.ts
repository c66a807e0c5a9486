import { nodeRuntime } from '../host-runtime.js'
import { resourcesDir } from '../paths.js'
import type { AppServer } from '../stacks/stack-schema.js'

/** Expands `{node}` and `{resources}` so stored stacks stay valid when Aerie moves. */
export function expandTokens(value: string): string {
  return value.replaceAll('{node}', nodeRuntime().command).replaceAll('{resources}', resourcesDir())
}

/** The environment of one instance: Aerie's own, the app server's, its port and number, and ASP.NET Core's variables for .NET apps. */
export function instanceEnv(app: AppServer, instance: number, port: number): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  if (app.command === '{node}') Object.assign(env, nodeRuntime().env)
  Object.assign(env, app.env, { PORT: String(port), INSTANCE: String(instance) })
  if (app.kind === 'dotnet') {
    env.ASPNETCORE_URLS = `http://127.0.0.1:${port}`
    env.ASPNETCORE_ENVIRONMENT ??= 'Development'
    env.ASPNETCORE_FORWARDEDHEADERS_ENABLED = 'true'
  }
  return env
}
