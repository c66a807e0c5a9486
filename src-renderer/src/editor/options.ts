/** Choices offered by the stack editor's selects (and the stack card's proxy picker), with the labels users see. */
export const PROXY_KIND_LABELS: Record<string, string> = { builtin: 'Built-in', nginx: 'nginx', apache: 'Apache httpd', caddy: 'Caddy' }

export const PROXY_KIND_OPTIONS = Object.entries(PROXY_KIND_LABELS).map(([value, label]) => ({ value, label }))

export const LOAD_BALANCING_OPTIONS = [
  { value: 'round-robin', label: 'round robin' },
  { value: 'least-connections', label: 'least connections' },
  { value: 'sticky', label: 'sticky (cookie)' },
]

export const ROUTE_TARGET_OPTIONS = [
  { value: 'app', label: 'an app server' },
  { value: 'static', label: 'a folder' },
]

export const APP_KIND_OPTIONS = [
  { value: 'command', label: 'Any command' },
  { value: 'dotnet', label: 'ASP.NET Core project' },
]

export const READINESS_OPTIONS = [
  { value: 'tcp', label: 'TCP port accepts' },
  { value: 'http', label: 'HTTP GET answers 200' },
]

export const RESTART_OPTIONS = [
  { value: 'on-failure', label: 'on failure' },
  { value: 'always', label: 'always' },
  { value: 'never', label: 'never' },
]

export const REWRITE_KIND_OPTIONS = [
  { value: 0, label: 'internal (the app sees the new path)' },
  ...([301, 302, 303, 307, 308] as const).map((status) => ({ value: status, label: `redirect ${status}` })),
]
