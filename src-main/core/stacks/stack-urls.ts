import type { Stack } from './stack-schema.js'

/** The addresses a stack serves, HTTPS first; wildcard host names have no address of their own. */
export function stackUrls(stack: Stack): string[] {
  const named = stack.hostnames.filter((h) => !h.startsWith('*.'))
  const { httpPort, httpsPort } = stack.proxy
  return [...(httpsPort ? named.map((h) => `https://${h}:${httpsPort}/`) : []), ...named.map((h) => `http://${h}:${httpPort}/`)]
}
