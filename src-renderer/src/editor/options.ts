/** Choices offered by the stack editor's selects, with the labels users see. */
export const PROXY_KIND_LABELS: Record<string, string> = { builtin: 'Built-in', nginx: 'nginx', apache: 'Apache httpd', caddy: 'Caddy' }

export const PROXY_KIND_OPTIONS = Object.entries(PROXY_KIND_LABELS).map(([value, label]) => ({ value, label }))
