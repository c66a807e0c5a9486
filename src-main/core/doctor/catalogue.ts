import type { LogLine, StackView, Trace } from '../../contract.js'
import { plainText } from '../util/terminal-text.js'

/** One thing that makes an app behave differently behind the proxy than on Kestrel alone, with its evidence and the fix. */
export interface Finding {
  id: string
  title: string
  /** Trace ids and log lines that show it. */
  evidence: string[]
  fix: string
}

/** What the doctor looks at: the stack as it runs, its recent traces and log lines. */
export interface Evidence {
  view: StackView
  traces: Trace[]
  lines: LogLine[]
}

/** One check of the catalogue: what it looks for (for the README) and how. */
export interface Check {
  id: string
  title: string
  /** What it detects and why it happens, for the README's section. */
  explains: string
  fix: string
  detect(e: Evidence): string[]
}

const plain = (text: string) => plainText(text)
const quote = (l: LogLine) => `${l.source}: ${plain(l.text).trim().slice(0, 200)}`
const linesMatching = (e: Evidence, pattern: RegExp) => e.lines.filter((l) => l.stackId === e.view.stack.id && pattern.test(plain(l.text)))
const traced = (t: Trace, what: string) => `trace ${t.id}: ${t.method} ${t.path} → ${t.status}${what ? ` (${what})` : ''}`

/** The doctor's catalogue, in the order the README lists it. */
export const CHECKS: Check[] = [
  {
    id: 'https-port-unknown',
    title: 'UseHttpsRedirection does not know the HTTPS port',
    explains: "ASP.NET Core logs \"Failed to determine the https port for redirect\" and redirects nothing: behind a proxy, Kestrel listens on plain HTTP only, so the app cannot see an HTTPS port of its own.",
    fix: 'Give the stack an HTTPS port (proxy.httpsPort): Aerie then sets ASPNETCORE_HTTPS_PORT for its .NET app servers. In production set ASPNETCORE_HTTPS_PORT (or HttpsRedirectionOptions.HttpsPort) to the proxy\'s.',
    detect: (e) => linesMatching(e, /Failed to determine the https port for redirect/).slice(0, 3).map(quote),
  },
  {
    id: 'redirect-to-http',
    title: 'The app redirects an HTTPS request to http://',
    explains: 'A request came over HTTPS and the app answered with a Location on http://: it does not take the scheme from X-Forwarded-Proto (no UseForwardedHeaders, or ASPNETCORE_FORWARDEDHEADERS_ENABLED off), so it believes it is served over plain HTTP.',
    fix: 'Let the app read the forwarded headers: app.UseForwardedHeaders() first in the pipeline, or ASPNETCORE_FORWARDEDHEADERS_ENABLED=true (Aerie sets it for .NET app servers).',
    detect: (e) =>
      e.traces
        .filter((t) => t.stackId === e.view.stack.id && t.tls && t.status >= 300 && t.status < 400 && t.upstream !== undefined && /^http:\/\//i.test(t.responseHeaders?.location ?? ''))
        .slice(0, 3)
        .map((t) => traced(t, `Location ${t.responseHeaders!.location}`)),
  },
  {
    id: 'redirect-loop',
    title: 'The app redirects a request to itself',
    explains: "The Location names the very URL that was asked for, so the browser asks again and again (ERR_TOO_MANY_REDIRECTS). Behind a proxy this is most often UseHttpsRedirection or a 'require HTTPS' rule on an app that does not see X-Forwarded-Proto: every HTTPS request looks like plain HTTP to it.",
    fix: 'Let the app read the forwarded headers (app.UseForwardedHeaders() before UseHttpsRedirection, or ASPNETCORE_FORWARDEDHEADERS_ENABLED=true), or let the proxy redirect to HTTPS (proxy.redirectToHttps) and not the app.',
    detect: (e) =>
      e.traces
        .filter((t) => {
          if (t.stackId !== e.view.stack.id || t.status < 300 || t.status >= 400 || !t.responseHeaders?.location) return false
          const asked = `${t.tls ? 'https' : 'http'}://${t.requestHeaders?.host ?? t.host}${t.path}`
          try {
            return new URL(t.responseHeaders.location, asked).href === new URL(asked).href
          } catch {
            return false
          }
        })
        .slice(0, 3)
        .map((t) => traced(t, `Location ${t.responseHeaders!.location}`)),
  },
  {
    id: 'wrong-port',
    title: 'An instance listens on another port than the one Aerie gave it',
    explains: "The app's own log says it listens on a port that is not its instance's: a hard-coded UseUrls, a launch profile's applicationUrl, or a port in appsettings.json wins over ASPNETCORE_URLS/$PORT, so the proxy (and the readiness probe) knock on a port nobody answers.",
    fix: 'Take the port from the environment: ASPNETCORE_URLS for Kestrel (drop UseUrls and the Kestrel:Endpoints URLs in appsettings for local runs), $PORT for other servers.',
    detect: (e) => {
      const ports = new Map(e.view.processes.map((p) => [`${p.appServer}#${p.instance}`, p.port]))
      return e.lines
        .filter((l) => {
          const given = ports.get(l.source)
          const said = /listening on:?\s+https?:\/\/[^\s/]*:(\d+)/i.exec(plain(l.text))?.[1]
          return l.stackId === e.view.stack.id && given !== undefined && said !== undefined && Number(said) !== given
        })
        .slice(0, 3)
        .map((l) => `${quote(l)} (given port ${ports.get(l.source)})`)
    },
  },
  {
    id: 'instance-address-leaked',
    title: "An answer names an instance's own address",
    explains: "A Location header names 127.0.0.1 or localhost with an instance's port: the app built an absolute URL from the address Kestrel listens on, not from the Host the client used, so the browser is sent past the proxy.",
    fix: 'Build URLs from the request (Request.Host, which the proxy keeps as the client sent it, and the forwarded scheme), or relative ones; with UseForwardedHeaders, X-Forwarded-Host is taken too.',
    detect: (e) => {
      const ports = new Set(e.view.processes.map((p) => String(p.port)))
      return e.traces
        .filter((t) => t.stackId === e.view.stack.id && ports.has(/^https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)/i.exec(t.responseHeaders?.location ?? '')?.[1] ?? ''))
        .slice(0, 3)
        .map((t) => traced(t, `Location ${t.responseHeaders!.location}`))
    },
  },
  {
    id: 'signalr-without-sticky',
    title: 'SignalR connections land on another instance than their negotiate',
    explains: "SignalR negotiates on one request and connects on the next; with several instances and round-robin or least-connections balancing, the second request reaches an instance that never saw the first and answers 404 (\"No Connection with that ID\").",
    fix: 'Set proxy.loadBalancing to "sticky" (Aerie keeps each browser on one instance with a cookie), or run one instance, or use a SignalR backplane (Redis, Azure SignalR) as production would.',
    detect: (e) => {
      const stack = e.view.stack
      if (stack.proxy.loadBalancing === 'sticky' || !stack.appServers.some((a) => a.instances > 1)) return []
      const mine = e.traces.filter((t) => t.stackId === stack.id)
      if (!mine.some((t) => /\/negotiate(\?|$)/.test(t.path))) return []
      const lost = mine.filter((t) => t.status === 404 && /[?&]id=/.test(t.path) && !/\/negotiate(\?|$)/.test(t.path)).slice(0, 3)
      return [...lost.map((t) => traced(t, `after a negotiate on another instance`)), ...linesMatching(e, /No Connection with that ID/).slice(0, 2).map(quote)]
    },
  },
  {
    id: 'app-body-limit',
    title: 'The app refuses a body the proxy let through',
    explains: "The proxy passed a request body and the app answered 413: Kestrel's own limit (MaxRequestBodySize, 30,000,000 bytes by default, or [RequestSizeLimit]) is lower than proxy.maxBodySize, so production, where the proxy's limit is the one people know, fails differently.",
    fix: "Make the two limits agree: proxy.maxBodySize equal to Kestrel's (KestrelServerOptions.Limits.MaxRequestBodySize), or raise Kestrel's for the endpoints that take uploads.",
    detect: (e) =>
      e.traces
        .filter((t) => t.stackId === e.view.stack.id && t.status === 413 && t.upstream !== undefined && t.upstream !== 'cache')
        .slice(0, 3)
        .map((t) => traced(t, `${t.requestBytes ?? '?'} bytes, refused by ${t.upstream}`)),
  },
]

/** What the doctor finds in the evidence, each with what showed it and the fix. */
export function diagnose(e: Evidence): Finding[] {
  return CHECKS.flatMap((c) => {
    const evidence = c.detect(e)
    return evidence.length ? [{ id: c.id, title: c.title, evidence, fix: c.fix }] : []
  })
}

/** The README's section, from the catalogue. */
export function renderCatalogue(): string {
  return CHECKS.map((c) => `- **${c.title}** (\`${c.id}\`): ${c.explains} *Fix:* ${c.fix}`).join('\n')
}
