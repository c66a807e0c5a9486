import { builtinProxyDriver } from './builtin/builtin-proxy.js'
import type { ProxyDriver } from './proxy-driver.js'

/** Every proxy kind Aerie knows, by the `proxy.kind` value a stack uses. */
const drivers: Record<string, ProxyDriver> = {
  [builtinProxyDriver.kind]: builtinProxyDriver,
}

export function proxyDriver(kind: string): ProxyDriver {
  const driver = drivers[kind]
  if (!driver) throw new Error(`unknown proxy kind "${kind}" (known: ${Object.keys(drivers).join(', ')})`)
  return driver
}
