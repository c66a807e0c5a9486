import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { apacheModuleDir } from '../../src-main/core/proxy/apache/apache-config.js'
import { ExportParamsSchema, type ExportParams } from '../../src-main/core/proxy/export/export-params.js'
import { renderExport } from '../../src-main/core/proxy/export/export-stack.js'
import { canConnect, findFreePort, isPortFree } from '../../src-main/core/supervisor/ports.js'
import { HOST, OTHER_HOST, type Fixture, type InstanceControl } from './fixture.js'
import { buildYarpHost, startYarpHost } from './yarp-host.js'

/** A production export running for real on loopback ports, as a server would run it. */
export interface RunningExport {
  httpPort: number
  httpsPort: number
  /** The export's own Kestrel instances (on basePort and basePort + 1). */
  instances: InstanceControl
  stop(): Promise<void>
}

/** Two consecutive free ports for the export's Kestrel instances (basePort, basePort + 1). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await findFreePort()
    if (port < 65000 && (await isPortFree(port + 1))) return port
  }
}

async function waitForPort(child: ChildProcess, port: number, what: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not listen on ${port}: ${stderr()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

/** The params a test gives an export: loopback ports, the fixture's certificate and folders. */
async function exportParams(fixture: Fixture, dir: string): Promise<ExportParams & { instances: InstanceControl }> {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'site.crt'), fixture.leaf.certPem + fixture.ca.certPem)
  fs.writeFileSync(path.join(dir, 'site.key'), fixture.leaf.keyPem, { mode: 0o600 })
  const basePort = await freePortPair()
  const instances = await fixture.startProductionInstances(basePort)
  const params = ExportParamsSchema.parse({
    serverNames: [HOST, OTHER_HOST],
    certificateFile: path.join(dir, 'site.crt'),
    keyFile: path.join(dir, 'site.key'),
    appDirectory: fixture.appDirectory,
    basePort,
    listenAddress: '127.0.0.1',
    httpPort: await findFreePort(),
    httpsPort: await findFreePort(),
  })
  return { ...params, instances }
}

/**
 * The nginx export as a server includes it from sites-enabled: inside an `http {}` that, like
 * Debian's nginx.conf, sets the pid, logs and temp paths (here under `dir`) and the MIME types.
 */
export async function runNginxExport(fixture: Fixture, dir: string): Promise<RunningExport> {
  const params = await exportParams(fixture, dir)
  const [site] = renderExport(fixture.stack, 'nginx', params)
  // The cache folder the export names is the server's (/var/cache/nginx-<stack>): here, one under the test's folder.
  fs.writeFileSync(path.join(dir, 'site.conf'), site.content.replaceAll(`/var/cache/nginx-${fixture.stack.id}`, path.join(dir, 'cache')))
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp-${t};`).join('\n')
  const root = typeof process.getuid === 'function' && process.getuid() === 0 ? 'user root;\n' : ''
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `${root}pid ${dir}/nginx.pid;\nerror_log stderr warn;\nevents {}\nhttp {\n  include /etc/nginx/mime.types;\n  access_log off;\n${temp}\n  include ${dir}/site.conf;\n}\n`)
  const child = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  await waitForPort(child, params.httpsPort, 'the exported nginx site', () => stderr)
  return {
    httpPort: params.httpPort,
    httpsPort: params.httpsPort,
    instances: params.instances,
    stop: () => stopChild(child),
  }
}

/**
 * The Apache export as a server includes it from sites-enabled: an httpd.conf that, like Debian's,
 * loads the modules its first line names, listens on the ports and keeps runtime files under `dir`.
 */
export async function runApacheExport(fixture: Fixture, dir: string): Promise<RunningExport> {
  const params = await exportParams(fixture, dir)
  const [vhost] = renderExport(fixture.stack, 'apache', params)
  fs.writeFileSync(path.join(dir, 'site.conf'), vhost.content)
  const needed = /a2enmod (.+)$/m.exec(vhost.content)![1].split(' ')
  const modules = ['mpm_event', 'authz_core', 'mime', 'socache_shmcb', ...needed].map((m) => `LoadModule ${m}_module ${apacheModuleDir()}/mod_${m}.so`)
  const root = typeof process.getuid === 'function' && process.getuid() === 0 ? 'User www-data\nGroup www-data\n' : ''
  fs.writeFileSync(
    path.join(dir, 'httpd.conf'),
    [
      `ServerRoot "${dir}"`,
      `PidFile "${dir}/httpd.pid"`,
      `DefaultRuntimeDir "${dir}"`,
      `Mutex file:${dir} default`,
      `Define APACHE_LOG_DIR ${dir}`,
      ...modules,
      `${root}ServerName localhost`,
      'ServerTokens Prod',
      `ErrorLog "${dir}/error.log"`,
      'TypesConfig /etc/mime.types',
      `SSLSessionCache "shmcb:${dir}/ssl_scache(512000)"`,
      `Listen 127.0.0.1:${params.httpPort}`,
      `Listen 127.0.0.1:${params.httpsPort} https`,
      `Include ${dir}/site.conf`,
      '',
    ].join('\n'),
  )
  // Workers run as www-data: they write the site's logs here.
  fs.chmodSync(dir, 0o777)
  const child = spawn('apache2', ['-f', path.join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  await waitForPort(child, params.httpsPort, 'the exported Apache vhost', () => stderr + (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''))
  return {
    httpPort: params.httpPort,
    httpsPort: params.httpsPort,
    instances: params.instances,
    stop: () => stopChild(child),
  }
}

/** The Caddy export with the global options a server's own Caddyfile would hold: here, loopback ports and state under `dir`. */
export async function runCaddyExport(fixture: Fixture, dir: string): Promise<RunningExport> {
  const params = await exportParams(fixture, dir)
  const [file] = renderExport(fixture.stack, 'caddy', params)
  const globals = `{\n\tadmin 127.0.0.1:${await findFreePort()}\n\thttp_port ${params.httpPort}\n\thttps_port ${params.httpsPort}\n\tstorage file_system ${dir}/storage\n}\n`
  fs.writeFileSync(path.join(dir, 'Caddyfile'), globals + file.content)
  const child = spawn('caddy', ['run', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  await waitForPort(child, params.httpsPort, 'the exported Caddyfile', () => stderr)
  return { httpPort: params.httpPort, httpsPort: params.httpsPort, instances: params.instances, stop: () => stopChild(child) }
}

/** The YARP export (its settings, and its host built from NuGet's Yarp.ReverseProxy), Kestrel serving HTTPS with the fixture's certificate. */
export async function runYarpExport(fixture: Fixture, dir: string): Promise<RunningExport> {
  const params = await exportParams(fixture, dir)
  const [file, ...host] = renderExport(fixture.stack, 'yarp', params)
  const dll = await buildYarpHost(host)
  fs.writeFileSync(path.join(dir, file.name), file.content)
  const child = startYarpHost(dll, { settings: path.join(dir, file.name), httpPort: params.httpPort, httpsPort: params.httpsPort, certFile: path.join(dir, 'site.crt'), keyFile: path.join(dir, 'site.key') })
  let output = ''
  child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)))
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)))
  await waitForPort(child, params.httpsPort, 'the YARP host', () => output)
  return { httpPort: params.httpPort, httpsPort: params.httpsPort, instances: params.instances, stop: () => stopChild(child) }
}
