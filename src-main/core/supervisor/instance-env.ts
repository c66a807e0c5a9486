import { nodeRuntime } from '../host-runtime.js'
import { resourcesDir } from '../paths.js'
import { trustVariables } from '../certs/trust-bundle.js'
import type { AppServer } from '../stacks/stack-schema.js'
import { OTLP_KEY_HEADER } from '../telemetry/otlp/otlp-receiver.js'

/** Expands `{node}` and `{resources}` so stored stacks stay valid when Aerie moves. */
export function expandTokens(value: string): string {
  return value.replaceAll('{node}', nodeRuntime().command).replaceAll('{resources}', resourcesDir())
}

/** What an instance's environment needs from its stack: the CA bundle to trust, the proxy's HTTPS port. */
export interface InstanceContext {
  caBundle?: string
  httpsPort?: number
  /** The engine's OTLP receiver, the stack's key for it, and the service name (`<stack>/<app server>`). */
  otlp?: { endpoint: string; key: string; service: string }
}

/** Export batches every second (the SDKs' default is 5 s for spans): a local timeline should not lag. */
const OTLP_SCHEDULE_DELAY_MS = '1000'

/**
 * OpenTelemetry's standard variables, pointing at Aerie's receiver: every SDK reads them. An app
 * server that names its own endpoint keeps it (and its protocol and headers); each other variable
 * it sets is kept too.
 */
function otlpVariables(app: AppServer, instance: number, otlp: NonNullable<InstanceContext['otlp']>): Record<string, string> {
  const own = app.env ?? {}
  const vars: Record<string, string> = {
    OTEL_SERVICE_NAME: otlp.service,
    OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
    OTEL_BSP_SCHEDULE_DELAY: OTLP_SCHEDULE_DELAY_MS,
    OTEL_BLRP_SCHEDULE_DELAY: OTLP_SCHEDULE_DELAY_MS,
  }
  if (own.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) {
    Object.assign(vars, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_HEADERS: `${OTLP_KEY_HEADER}=${otlp.key}` })
  }
  for (const k of Object.keys(vars)) if (own[k] !== undefined) delete vars[k]
  return vars
}

/**
 * The environment of one instance: Aerie's own, the app server's, its port and number, the CA
 * bundle in each runtime's variable (unless the app server sets it), and ASP.NET Core's variables for
 * .NET apps (ASPNETCORE_HTTPS_PORT behind an HTTPS listener, for UseHttpsRedirection), and
 * OpenTelemetry's variables towards the engine's receiver.
 */
export function instanceEnv(app: AppServer, instance: number, port: number, context: InstanceContext = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  if (app.command === '{node}') Object.assign(env, nodeRuntime().env)
  Object.assign(env, app.env, { PORT: String(port), INSTANCE: String(instance) })
  if (context.caBundle) Object.assign(env, trustVariables(context.caBundle, app.env))
  if (context.otlp) Object.assign(env, otlpVariables(app, instance, context.otlp))
  if (app.kind === 'dotnet') {
    env.ASPNETCORE_URLS = `http://127.0.0.1:${port}`
    env.ASPNETCORE_ENVIRONMENT ??= 'Development'
    // On unless the app server says otherwise (a user reproducing an app that ignores the proxy's headers).
    env.ASPNETCORE_FORWARDEDHEADERS_ENABLED = app.env?.ASPNETCORE_FORWARDEDHEADERS_ENABLED ?? 'true'
    if (context.httpsPort) env.ASPNETCORE_HTTPS_PORT ??= String(context.httpsPort)
  }
  return env
}
