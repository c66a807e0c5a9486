import { nodeRuntime } from '../host-runtime.js'
import { resourcesDir } from '../paths.js'
import { trustVariables } from '../certs/trust-bundle.js'
import type { AppServer } from '../stacks/stack-schema.js'

/** Expands `{node}` and `{resources}` so stored stacks stay valid when Aerie moves. */
export function expandTokens(value: string): string {
  return value.replaceAll('{node}', nodeRuntime().command).replaceAll('{resources}', resourcesDir())
}

/** What an instance's environment needs from its stack: the CA bundle to trust, the proxy's HTTPS port. */
export interface InstanceContext {
  caBundle?: string
  httpsPort?: number
}

/**
 * The environment of one instance: Aerie's own, the app server's, its port and number, the CA
 * bundle in each runtime's variable (unless the app server sets it), and ASP.NET Core's variables for
 * .NET apps (ASPNETCORE_HTTPS_PORT behind an HTTPS listener, for UseHttpsRedirection).
 */
export function instanceEnv(app: AppServer, instance: number, port: number, context: InstanceContext = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  if (app.command === '{node}') Object.assign(env, nodeRuntime().env)
  Object.assign(env, app.env, { PORT: String(port), INSTANCE: String(instance) })
  if (context.caBundle) Object.assign(env, trustVariables(context.caBundle, app.env))
  if (app.kind === 'dotnet') {
    env.ASPNETCORE_URLS = `http://127.0.0.1:${port}`
    env.ASPNETCORE_ENVIRONMENT ??= 'Development'
    // On unless the app server says otherwise (a user reproducing an app that ignores the proxy's headers).
    env.ASPNETCORE_FORWARDEDHEADERS_ENABLED = app.env?.ASPNETCORE_FORWARDEDHEADERS_ENABLED ?? 'true'
    if (context.httpsPort) env.ASPNETCORE_HTTPS_PORT ??= String(context.httpsPort)
  }
  return env
}
