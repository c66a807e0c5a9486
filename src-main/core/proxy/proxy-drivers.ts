import { builtinProxyDriver } from './builtin/builtin-proxy.js'
import { externalProxyDriver } from './external/external-proxy.js'
import { nginxSpec } from './nginx/nginx-driver.js'
import { caddySpec } from './caddy/caddy-driver.js'
import { apacheSpec } from './apache/apache-driver.js'
import type { ProxyDriver } from './proxy-driver.js'

/** Every proxy kind Aerie knows, by the `proxy.kind` value a stack uses. */
/** AERIE_NGINX, AERIE_APACHE, AERIE_CADDY: the binary to use instead of searching PATH and the usual places. */
const override = (kind: string) => () => process.env[`AERIE_${kind.toUpperCase()}`] || undefined

const drivers: Record<string, ProxyDriver> = Object.fromEntries(
  [builtinProxyDriver, ...[nginxSpec, apacheSpec, caddySpec].map((spec) => externalProxyDriver(spec, override(spec.kind)))].map((d) => [d.kind, d]),
)

export function proxyDriver(kind: string): ProxyDriver {
  const driver = drivers[kind]
  if (!driver) throw new Error(`unknown proxy kind "${kind}" (known: ${Object.keys(drivers).join(', ')})`)
  return driver
}

export const proxyKinds = () => Object.keys(drivers)
