import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams, ExportedFile } from './export-params.js'
import { productionModel } from './production-model.js'
import { systemdWord } from '../config-quoting.js'

const RESTART: Record<string, string> = { never: 'no', 'on-failure': 'on-failure', always: 'always' }

/**
 * One systemd template unit per app server, as Microsoft's Linux hosting guide describes
 * (Kestrel on localhost, KillSignal=SIGINT, a restart policy), with forwarded headers
 * enabled. The instance name is the port: `systemctl enable --now web@5000 web@5001`.
 */
export function renderSystemdUnits(stack: Stack, params: ExportParams): ExportedFile[] {
  return productionModel(stack, params).apps.map(({ name, app, ports, dll }) => {
    const isDotnet = app.kind === 'dotnet'
    // {node} is the server's Node.js; {resources} (Aerie's own folder locally) is the app's folder under --app-dir.
    const placeholders = (word: string) => word.replace(/\{node\}/g, '/usr/bin/node').replace(/\{resources\}/g, `${params.appDirectory}/${name}`)
    const words = isDotnet ? ['/usr/bin/dotnet', dll] : [app.command, ...app.args].map(placeholders)
    const exec = words.map((w) => systemdWord(w)).join(' ')
    // Environment= does not expand $VARIABLES, only %-specifiers.
    const env = Object.entries({ ...app.env, ASPNETCORE_ENVIRONMENT: 'Production' })
      .map(([k, v]) => `Environment=${systemdWord(`${k}=${placeholders(v)}`, false)}`)
      .join('\n')
    return {
      name: `${stack.id}-${name}@.service`,
      content: `# systemd template unit for "${name}" of "${stack.name}", exported by Aerie.
# Start one instance per port: systemctl enable --now ${stack.id}-${name}@{${ports.join(',')}}
[Unit]
Description=${stack.name}: ${name} on port %i
After=network.target

[Service]
WorkingDirectory=${params.appDirectory}/${name}
ExecStart=${exec}
Restart=${RESTART[app.restart]}
RestartSec=${Math.ceil(app.restartBackoff.initialMs / 1000)}
KillSignal=SIGINT
TimeoutStopSec=${Math.ceil(app.stopGraceMs / 1000)}
SyslogIdentifier=${stack.id}-${name}
User=${params.serviceUser}
${env}
Environment=ASPNETCORE_URLS=http://127.0.0.1:%i
Environment=PORT=%i
Environment=ASPNETCORE_FORWARDEDHEADERS_ENABLED=true
Environment=DOTNET_NOLOGO=true

[Install]
WantedBy=multi-user.target
`,
    }
  })
}
