import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import { writeFileAtomic } from '../atomic-file.js'

/** Where Linux distributions and macOS keep the system's root certificates as one PEM file. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem']

/**
 * The variables through which each runtime takes a CA bundle: OpenSSL and .NET on Linux
 * (SSL_CERT_FILE), Node (NODE_EXTRA_CA_CERTS, added to its own roots), Python's requests, curl.
 */
export const CA_BUNDLE_VARIABLES = ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'] as const

/**
 * What Aerie's own environment trusts: the files its CA-bundle variables name (a corporate bundle
 * stays trusted), else the system's bundle file, else the roots Node was built with.
 */
function trustedRoots(env: Record<string, string | undefined>): string {
  const named = [...new Set(CA_BUNDLE_VARIABLES.map((v) => env[v]).filter((f): f is string => !!f && fs.existsSync(f)))]
  const files = named.length ? named : SYSTEM_BUNDLES.filter((f) => fs.existsSync(f)).slice(0, 1)
  return files.length ? files.map((f) => fs.readFileSync(f, 'utf8').trimEnd()).join('\n') : tls.rootCertificates.join('\n')
}

/**
 * Writes `<caDir>/trust-bundle.pem`: the system's roots and Aerie's CA, so that an app that calls
 * its own public HTTPS URL (through the proxy) trusts it as a browser that trusts the CA does.
 * Rewritten only when its text changes; returns its path.
 */
export async function writeTrustBundle(caDir: string, caCertPem: string, env: Record<string, string | undefined> = process.env): Promise<string> {
  const file = path.join(caDir, 'trust-bundle.pem')
  const text = `${trustedRoots(env).trimEnd()}\n# Aerie's local certificate authority\n${caCertPem.trimEnd()}\n`
  const current = await fs.promises.readFile(file, 'utf8').catch(() => undefined)
  if (current !== text) await writeFileAtomic(file, text)
  return file
}

/**
 * The bundle's variables for an instance, leaving alone any the stack sets for the app server
 * (inherited ones are replaced: the bundle holds what they named, and Aerie's CA).
 */
export function trustVariables(bundle: string, appEnv: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of CA_BUNDLE_VARIABLES) if (appEnv[name] === undefined) out[name] = bundle
  return out
}
