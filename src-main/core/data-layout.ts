import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/**
 * Every file and folder Aerie keeps in its data directory, named in one place. Modules take
 * their paths from here; `stackArtifacts` is what deleting a stack removes.
 *
 *   engine.lock.json   the running engine (engine-lock.ts)        ui-token      the headless UI's token
 *   .initialized       the demo stack was offered once             links.json    stacks kept in app repositories
 *   stacks/<id>.json   a stack kept here (0600: env may hold secrets)
 *   run/processes.json processes to reap after a crash             run/ports-<id>.json  stable auto ports
 *   builds/<id>/       .NET build output                           proxies/<id>/ real proxies' configs and logs
 *   logs/<id>/         one log file per process                    traces/<id>.ndjson   traces, when asked
 *   exports/<id>/      the last production export, for diffs       ca/, certs/<id>/     local CA, leaf certificates
 *
 * One folder lives outside it: Apache's response cache when Aerie runs as root (apacheCacheDir).
 */
export function dataLayout(root: string) {
  const at = (...parts: string[]) => path.join(root, ...parts)
  return {
    root,
    lockFile: at('engine.lock.json'),
    uiToken: at('ui-token'),
    firstRunMarker: at('.initialized'),
    links: at('links.json'),
    stacksDir: at('stacks'),
    stackFile: (id: string) => at('stacks', `${id}.json`),
    processes: at('run', 'processes.json'),
    ports: (id: string) => at('run', `ports-${id}.json`),
    builds: (id: string) => at('builds', id),
    proxies: (id: string) => at('proxies', id),
    logsDir: at('logs'),
    logs: (id: string) => at('logs', id),
    traces: (id: string) => at('traces', `${id}.ndjson`),
    exports: (id: string) => at('exports', id),
    caDir: at('ca'),
    certsDir: at('certs'),
    certs: (id: string) => at('certs', id),
  }
}
export type DataLayout = ReturnType<typeof dataLayout>

/** What belongs to stack `id` alone (its stack file aside): removed with the stack. Rotated trace files included. */
export async function stackArtifacts(layout: DataLayout, id: string): Promise<string[]> {
  const traces = layout.traces(id)
  const rotated = (await fs.readdir(path.dirname(traces)).catch(() => [] as string[])).filter((n) => n.startsWith(`${path.basename(traces)}.`)).map((n) => path.join(path.dirname(traces), n))
  return [layout.ports(id), layout.builds(id), layout.proxies(id), apacheCacheDir(layout.proxies(id)), layout.logs(id), traces, ...rotated, layout.exports(id), layout.certs(id)]
}

const runsAsRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

/**
 * mod_cache_disk's folder for a stack's proxy work folder; httpd's workers write it. Run as root,
 * they are www-data, who cannot reach into a private (0700) home: the folder is then in the
 * system's temp folder, named for the work folder.
 */
export function apacheCacheDir(proxyWorkDir: string): string {
  if (!runsAsRoot()) return path.join(proxyWorkDir, 'apache', 'cache')
  return path.join(os.tmpdir(), `aerie-apache-cache-${createHash('sha256').update(path.resolve(proxyWorkDir)).digest('hex').slice(0, 16)}`)
}
