import type { Upstream } from '../proxy-driver.js'

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(status: number, title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${status} ${escape(title)} — Aerie</title>
<style>body{font:15px system-ui,sans-serif;margin:3rem auto;max-width:42rem;color:#1f2937}
h1{font-size:1.4rem}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}li{margin:.3rem 0}
footer{margin-top:2rem;color:#6b7280;font-size:.85rem}</style></head>
<body><h1>${status} · ${escape(title)}</h1>${body}<footer>Aerie built-in proxy</footer></body></html>`
}

export function unknownHostPage(host: string, port: number, hostnames: string[], scheme: 'http' | 'https' = 'http'): string {
  const list = hostnames.map((h) => `<li><a href="${scheme}://${escape(h)}:${port}/">${escape(h)}</a></li>`).join('')
  return page(404, 'Unknown host', `<p>No stack on port ${port} serves <code>${escape(host || '(no Host header)')}</code>.</p><p>This port serves:</p><ul>${list}</ul>`)
}

export function noRoutePage(path: string): string {
  return page(404, 'No route', `<p>No route of this stack matches <code>${escape(path)}</code>.</p>`)
}

/** 413: the body is larger than the stack's `proxy.maxBodySize`. */
export function bodyTooLargePage(limit: number): string {
  return page(413, 'Content too large', `<p>The request body is larger than this stack's limit of ${limit} bytes (<code>proxy.maxBodySize</code>; Kestrel's own default is 30000000). Every engine and export refuses it the same way.</p>`)
}

/** 429: the client is over the stack's `proxy.rateLimit`. */
export function tooManyRequestsPage(perSecond: number, burst: number, retryAfterSeconds: number): string {
  return page(429, 'Too many requests', `<p>This client sent more than ${perSecond} request(s) per second (and a burst of ${burst}), the stack's <code>proxy.rateLimit</code>. Try again in ${retryAfterSeconds} s.</p>`)
}

/** Describes each instance as "web#2 is crashed — exited with code 1", so the user knows where to look. */
export function describeUpstreams(upstreams: readonly Upstream[]): string[] {
  return upstreams.map((u) => {
    const problem = u.problem()
    return `${u.id} (port ${u.port}) is ${u.state()}${problem ? ` — ${problem}` : ''}`
  })
}

/** 502 (no instance answered) or 504 (one answered too late), naming each instance and its state. */
const GATEWAY_TITLES = { 502: 'Bad gateway', 503: 'Proxy out of resources', 504: 'Gateway timeout' }

export function badGatewayPage(appServer: string, lines: string[], status: 502 | 503 | 504 = 502): string {
  const list = lines.map((l) => `<li>${escape(l)}</li>`).join('')
  const sentence =
    status === 504 ? `<code>${escape(appServer)}</code> did not answer in time:` : status === 503 ? `The proxy could not open a connection to <code>${escape(appServer)}</code>:` : `No instance of <code>${escape(appServer)}</code> could answer:`
  return page(status, GATEWAY_TITLES[status], `<p>${sentence}</p><ul>${list}</ul><p>See the Logs view for each instance's output.</p>`)
}
