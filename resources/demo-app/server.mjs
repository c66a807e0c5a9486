// Aerie's demo app: a tiny HTTP server that says which instance answered and
// echoes the forwarded headers the proxy set. Started by Aerie with PORT and INSTANCE.
import http from 'node:http'

const port = Number(process.env.PORT)
const instance = process.env.INSTANCE ?? '1'
if (!Number.isInteger(port) || port <= 0) {
  console.error('demo-app: PORT must be set to a port number')
  process.exit(2)
}

const forwardedNames = ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'traceparent']
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const server = http.createServer((req, res) => {
  const forwarded = Object.fromEntries(forwardedNames.filter((n) => req.headers[n]).map((n) => [n, req.headers[n]]))
  const info = { instance: Number(instance), port, method: req.method, url: req.url, headers: forwarded }
  console.log(`\x1b[32m${req.method}\x1b[0m ${req.url} from ${req.socket.remoteAddress} (instance ${instance})`)
  if (req.url === '/api/whoami' || (req.headers.accept ?? '').includes('application/json')) {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(info))
    return
  }
  const rows = Object.entries(forwarded).map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join('')
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Aerie demo — instance ${instance}</title>
<style>body{font:15px system-ui,sans-serif;margin:3rem auto;max-width:40rem;color:#1f2937}h1{font-size:1.6rem}
.badge{display:inline-block;background:#2563eb;color:#fff;border-radius:6px;padding:.2rem .6rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb}th{width:12rem;color:#6b7280;font-weight:500}</style></head>
<body><h1>Served by <span class="badge" id="instance">instance ${instance}</span> on port <span id="port">${port}</span></h1>
<p>Request <code>${escape(req.method)} ${escape(req.url)}</code> as this app received it from the proxy:</p>
<table>${rows}</table></body></html>`)
})

server.listen(port, '127.0.0.1', () => console.log(`demo-app instance ${instance} listening on http://127.0.0.1:${port}`))

const shutdown = (signal) => {
  console.log(`demo-app instance ${instance}: ${signal}, closing`)
  server.close(() => process.exit(0))
  server.closeAllConnections()
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
