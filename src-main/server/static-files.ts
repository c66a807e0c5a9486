import fs from 'node:fs'
import path from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { serveStatic } from '../core/proxy/builtin/static-files.js'

/** The UI may not be framed by another site (the token is in its first URL) and talks only to this server. */
const UI_HEADERS = {
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
}

/** Serves the built renderer; unknown paths get index.html (client-side routes). */
export function serveRenderer(root: string, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  const index = path.join(root, 'index.html')
  if (!fs.existsSync(index)) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
    res.end(`The renderer is not built (${index} is missing). Run \`npm run build\` first.\n`)
    return
  }
  void serveStatic(root, pathname, req, res, { fallback: 'index.html', immutable: (file) => file.includes(`${path.sep}assets${path.sep}`), headers: UI_HEADERS })
}
