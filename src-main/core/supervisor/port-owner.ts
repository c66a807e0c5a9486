import { hostPlatform } from '../platform/platform.js'

/** The message for a port that is taken: the port, the stack field that set it, and who holds it when known. */
export function portInUseMessage(port: number, host: string, field: string, fix: string): string {
  const owner = hostPlatform().portOwner(port)
  return `port ${port} on ${host} is already in use${owner ? ` by ${owner}` : ''} (stack field ${field}); ${fix}`
}
