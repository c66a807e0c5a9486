import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalCA } from '../../src-main/core/certs/local-ca.js'
import { apacheModuleDir } from '../../src-main/core/proxy/apache/apache-config.js'
import { ExportParamsSchema, type ExportParams } from '../../src-main/core/proxy/export/export-params.js'
import { exportStack, renderExport } from '../../src-main/core/proxy/export/export-stack.js'
import { StackSchema, type Stack } from '../../src-main/core/stacks/stack-schema.js'
import { requireBinary } from '../support/binaries.js'
import { tempHome } from '../support/temp-home.js'

const run = promisify(execFile)
const GOLDEN = path.resolve('test/golden/export')

/** A fixed stack: a Kestrel API with two instances, a Node worker, a static folder, sticky sessions. */
const stack: Stack = StackSchema.parse({
  id: 'shop',
  name: 'Shop',
  hostnames: ['shop.localhost'],
  appServers: [
    { name: 'api', kind: 'dotnet', project: '/src/Shop.Api/Shop.Api.csproj', instances: 2, env: { Greeting: 'hello "world" 100% $HOME' }, restart: 'always' },
    // Hostile values: arguments with spaces, quotes and commas; placeholders a production server has no use for.
    { name: 'web', command: '{node}', args: ['-e', "console.log('a b')", '--urls=http://a,http://b', '{resources}/server.js'], instances: 1 },
  ],
  routes: [{ pathPrefix: '/api', appServer: 'api' }, { pathPrefix: '/assets', staticDir: '/src/Shop.Web/assets' }, { appServer: 'web' }],
  proxy: { httpPort: 8080, httpsPort: 8443, loadBalancing: 'sticky', healthCheck: { path: '/healthz', intervalMs: 5000 } },
})

describe('export for production', () => {
  const home = tempHome()
  let params: ExportParams

  beforeAll(async () => {
    const ca = await LocalCA.create(path.join(home.dir, 'ca'), { permittedDomains: ['example.com'] })
    const leaf = await ca.issueLeaf(['shop.example.com'])
    fs.writeFileSync(path.join(home.dir, 'shop.crt'), leaf.certPem)
    fs.writeFileSync(path.join(home.dir, 'shop.key'), leaf.keyPem)
    params = ExportParamsSchema.parse({ serverNames: ['shop.example.com', 'www.shop.example.com'], certificateFile: path.join(home.dir, 'shop.crt'), keyFile: path.join(home.dir, 'shop.key') })
  })
  afterAll(() => home.cleanup())

  it('pins every target’s text in golden files (UPDATE_GOLDEN=1 rewrites them)', () => {
    const fixed = ExportParamsSchema.parse({ serverNames: ['shop.example.com', 'www.shop.example.com'] })
    for (const to of ['nginx', 'apache', 'caddy', 'yarp', 'iis', 'systemd'] as const) {
      for (const file of renderExport(stack, to, fixed)) {
        const golden = path.join(GOLDEN, to, file.name)
        if (process.env.UPDATE_GOLDEN === '1') {
          fs.mkdirSync(path.dirname(golden), { recursive: true })
          fs.writeFileSync(golden, file.content)
        }
        expect(file.content, `${to}/${file.name}`).toBe(fs.readFileSync(golden, 'utf8'))
      }
    }
  })

  it.skipIf(!requireBinary('nginx'))('the nginx site passes nginx -t', async () => {
    const dir = path.join(home.dir, 'nginx')
    fs.mkdirSync(dir)
    const [site] = renderExport(stack, 'nginx', params)
    fs.writeFileSync(path.join(dir, 'site.conf'), site.content)
    fs.writeFileSync(path.join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nevents {}\nhttp {\n  access_log off;\n  include ${dir}/site.conf;\n}\n`)
    const { stderr } = await run('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr'])
    expect(stderr).toContain('test is successful')
  })

  it.skipIf(!requireBinary('apache2'))('the Apache vhost passes apache2 -t', async () => {
    const dir = path.join(home.dir, 'apache')
    fs.mkdirSync(dir)
    const [vhost] = renderExport(stack, 'apache', params)
    fs.writeFileSync(path.join(dir, 'site.conf'), vhost.content)
    // The modules the vhost's first line tells the user to enable, plus what any httpd.conf loads.
    const needed = /a2enmod (.+)$/m.exec(vhost.content)![1].split(' ')
    const mods = ['mpm_event', 'authz_core', 'mime', 'socache_shmcb', ...needed]
    fs.writeFileSync(
      path.join(dir, 'httpd.conf'),
      `ServerRoot "${dir}"\nPidFile "${dir}/httpd.pid"\nDefaultRuntimeDir "${dir}"\nDefine APACHE_LOG_DIR ${dir}\n${mods.map((m) => `LoadModule ${m}_module ${apacheModuleDir()}/mod_${m}.so`).join('\n')}\nErrorLog /dev/null\nTypesConfig /etc/mime.types\nListen 80\nListen 443\nInclude ${dir}/site.conf\n`,
    )
    const { stdout, stderr } = await run('apache2', ['-t', '-f', path.join(dir, 'httpd.conf')])
    expect(`${stdout}${stderr}`).toContain('Syntax OK')
  })

  it.skipIf(!requireBinary('caddy'))('the Caddyfile passes caddy validate', async () => {
    const dir = path.join(home.dir, 'caddy')
    fs.mkdirSync(dir)
    const [file] = renderExport(stack, 'caddy', params)
    fs.writeFileSync(path.join(dir, 'Caddyfile'), file.content)
    const { stdout, stderr } = await run('caddy', ['validate', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } })
    expect(`${stdout}${stderr}`).toContain('Valid configuration')
  })

  it.skipIf(!requireBinary('systemd-analyze'))('the systemd units pass systemd-analyze verify', async () => {
    const dir = path.join(home.dir, 'systemd')
    fs.mkdirSync(dir)
    for (const unit of renderExport(stack, 'systemd', params)) {
      const instance = path.join(dir, unit.name.replace('@.service', '@5000.service'))
      fs.writeFileSync(instance, unit.content)
      const result = await run('systemd-analyze', ['verify', '--man=no', instance]).catch((e: { stdout: string; stderr: string; code: number }) => e)
      const output = `${result.stdout}${result.stderr}`
      // A unit whose binary is missing on this machine (node) is reported as such and nothing else.
      expect(output.split('\n').filter((l) => l.trim() && !/is not executable|No such file or directory|Command .* is not executable/.test(l))).toEqual([])
    }
    expect(fs.readFileSync(path.join(dir, 'shop-api@5000.service'), 'utf8')).toMatch(/KillSignal=SIGINT[\s\S]*ASPNETCORE_FORWARDEDHEADERS_ENABLED=true/)
  })

  it('a route limited to host names maps each to its production name by position, and says what to give when it cannot', () => {
    const split = StackSchema.parse({ ...stack, hostnames: ['shop.localhost', 'admin.localhost'], routes: [...stack.routes, { appServer: 'web', hosts: ['admin.localhost'], pathPrefix: '/' }] })
    const nginx = renderExport(split, 'nginx', { ...params, serverNames: ['shop.example.com', 'admin.example.com'] })[0].content
    expect(nginx).toContain('server_name shop.example.com;')
    expect(nginx).toContain('server_name admin.example.com;')
    expect(() => renderExport(split, 'nginx', { ...params, serverNames: ['shop.example.com'] })).toThrow('give one --server-name per host name of the stack, in the same order (shop.localhost, admin.localhost)')
  })

  it('YARP settings are JSON with routes, clusters, destinations and health checks, and a host that reads them; IIS gets a web.config per .NET app', () => {
    const yarp = JSON.parse(renderExport(stack, 'yarp', params)[0].content)
    expect(yarp.ReverseProxy.Routes['api-1']).toEqual({
      ClusterId: 'api',
      Match: { Hosts: ['shop.example.com', 'www.shop.example.com'], Path: '/api/{**catch-all}' },
      Transforms: [{ RequestHeaderOriginalHost: 'true' }, { 'X-Forwarded': 'Set', For: 'Append' }],
      MaxRequestBodySize: 30_000_000,
    })
    expect(yarp.StaticRoutes).toEqual([{ Path: '/assets', Folder: '/var/www/app/static/assets' }])
    expect(yarp.HttpsRedirect).toEqual({ StatusCode: 301, HttpsPort: 443 })
    // The host that reads these sections comes with the settings.
    expect(renderExport(stack, 'yarp', params).map((f) => f.name)).toEqual(['appsettings.ReverseProxy.json', 'Program.cs', 'YarpHost.csproj'])
    expect(Object.values(yarp.ReverseProxy.Clusters.api.Destinations)).toEqual([{ Address: 'http://127.0.0.1:5000/' }, { Address: 'http://127.0.0.1:5001/' }])
    expect(yarp.ReverseProxy.Clusters.api.HealthCheck.Active).toMatchObject({ Enabled: true, Path: '/healthz', Interval: '00:00:05' })
    const iis = renderExport(stack, 'iis', params)
    expect(iis.map((f) => f.name)).toEqual(['api/web.config'])
    expect(iis[0].content).toContain('<aspNetCore processPath="dotnet" arguments=".\\Shop.Api.dll"')
    expect(iis[0].content).toContain('hostingModel="inprocess"')
  })

  it('keeps the last export and shows what changed since', async () => {
    const first = await exportStack(home.dir, stack, 'caddy', params)
    expect(first.files[0].diff).toBeUndefined()
    const changed = { ...stack, proxy: { ...stack.proxy, loadBalancing: 'least-connections' as const } }
    const second = await exportStack(home.dir, changed, 'caddy', params)
    expect(second.files[0].diff).toContain('-\t\t\tlb_policy cookie aerie_upstream')
    expect(second.files[0].diff).toContain('+\t\t\tlb_policy least_conn')
  })
})
