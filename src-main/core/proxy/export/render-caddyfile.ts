import type { Stack } from '../../stacks/stack-schema.js'
import type { ExportParams } from './export-params.js'
import { productionModel } from './production-model.js'

/** A production Caddyfile: the server names, the given certificate, the stack's routes and pool policy. */
export function renderProductionCaddyfile(stack: Stack, params: ExportParams): string {
  const { routes } = productionModel(stack, params)
  const policy = stack.proxy.loadBalancing === 'least-connections' ? 'least_conn' : stack.proxy.loadBalancing === 'sticky' ? 'cookie aerie_upstream' : 'round_robin'
  const handles = routes
    .map((r, i) => {
      const prefix = r.pathPrefix.replace(/\/$/, '')
      const matcher = r.pathPrefix === '/' ? '' : ` @route${i}`
      const define = matcher ? `\t@route${i} path ${prefix} ${prefix}/*\n` : ''
      const body = r.staticDir
        ? `\t\t${matcher ? `uri strip_prefix ${prefix}\n\t\t` : ''}root * ${r.staticDir}\n\t\tfile_server`
        : `\t\treverse_proxy ${r.app!.ports.map((p) => `127.0.0.1:${p}`).join(' ')} {\n\t\t\tlb_policy ${policy}${stack.proxy.healthCheck ? `\n\t\t\thealth_uri ${stack.proxy.healthCheck.path}` : ''}\n\t\t}`
      return `${define}\thandle${matcher} {\n${body}\n\t}`
    })
    .join('\n')
  return `# Caddyfile for "${stack.name}", exported by Aerie.
${params.serverNames.join(', ')} {
\ttls ${params.certificateFile} ${params.keyFile}
${stack.proxy.compression ? '\tencode zstd gzip\n' : ''}${handles}
}
`
}
