import net from 'node:net'

/** What Aerie's CA may sign for, so that its key, if it leaked, could not impersonate real sites. */
export const DEFAULT_PERMITTED_DOMAINS = ['localhost', 'test', 'internal']
export const PERMITTED_IP_RANGES = ['127.0.0.0/8', '::1/128']

/** RFC 5280 dNSName constraint: the name itself or any name below it. */
function domainPermits(domain: string, name: string): boolean {
  const d = domain.replace(/^\./, '').toLowerCase()
  const n = name.replace(/^\*\./, '').toLowerCase()
  return n === d || n.endsWith(`.${d}`)
}

function ipPermits(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith('127.')
  return ip === '::1'
}

/** Why `name` cannot be in a certificate from this CA, or undefined when it can. */
export function refusalFor(name: string, permittedDomains: readonly string[]): string | undefined {
  if (net.isIP(name)) return ipPermits(name) ? undefined : `${name} is not a loopback address; Aerie's CA signs only for ${PERMITTED_IP_RANGES.join(' and ')}`
  if (/^\*\.[^.]+$/.test(name)) return `${name} is a wildcard directly under one label, which browsers and OpenSSL reject; list the names (e.g. app.${name.slice(2)}) or use a deeper wildcard (*.app.${name.slice(2)})`
  if (permittedDomains.some((d) => domainPermits(d, name))) return undefined
  return `${name} is outside the names Aerie's local CA may sign for (${permittedDomains.join(', ')}); use a name under one of them, or add its domain to the CA's permitted domains in Certificates (this creates a new CA that you trust again)`
}
