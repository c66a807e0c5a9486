import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509'
import { writeFileAtomic } from '../atomic-file.js'
import { generateKeyPair, privateKeyFromPem, privateKeyToPem, SIGNING_ALGORITHMS, type KeyKind } from './key-algorithms.js'
import { DEFAULT_PERMITTED_DOMAINS, PERMITTED_IP_RANGES, refusalFor } from './name-constraints.js'
import { x509, type CryptoKey } from './x509-setup.js'

/** A root that outlives many projects; browsers do not cap the validity of a user-trusted root. */
export const CA_VALIDITY_YEARS = 10
/** Leaf validity: the most Apple and Chromium accept for a TLS server certificate. */
export const LEAF_MAX_VALIDITY_DAYS = 397
/** Certificates start an hour in the past so that a clock slightly behind does not reject them. */
const CLOCK_SKEW_MS = 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

export interface IssuedLeaf {
  certPem: string
  keyPem: string
  notAfter: Date
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[0] &= 0x7f // positive
  return Buffer.from(bytes).toString('hex')
}

function nameConstraintsExtension(domains: readonly string[]): x509.Extension {
  const subtree = (name: GeneralName) => new GeneralSubtree({ base: name })
  const value = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees([...domains.map((d) => subtree(new GeneralName({ dNSName: d }))), ...PERMITTED_IP_RANGES.map((ip) => subtree(new GeneralName({ iPAddress: ip })))]),
  })
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(value))
}

/**
 * The per-user local certificate authority: created on first use under `<dataDir>/ca/`,
 * its key file readable by the user only, its names constrained to local ones.
 */
export class LocalCA {
  private constructor(
    readonly dir: string,
    readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
    readonly keyKind: KeyKind,
    readonly permittedDomains: string[],
  ) {}

  static certFile = (dir: string) => path.join(dir, 'ca.cert.pem')
  static keyFile = (dir: string) => path.join(dir, 'ca.key.pem')

  static async loadOrCreate(dir: string, options: { now?: Date; permittedDomains?: string[] } = {}): Promise<LocalCA> {
    const existing = await LocalCA.load(dir)
    if (existing) return existing
    return LocalCA.create(dir, options)
  }

  static async load(dir: string): Promise<LocalCA | undefined> {
    let certPem: string
    let keyPem: string
    try {
      certPem = await fs.readFile(LocalCA.certFile(dir), 'utf8')
      keyPem = await fs.readFile(LocalCA.keyFile(dir), 'utf8')
    } catch {
      return undefined
    }
    const cert = new x509.X509Certificate(certPem)
    const { key, kind } = await privateKeyFromPem(keyPem)
    const ext = cert.getExtension(id_ce_nameConstraints)
    const constraints = ext ? AsnConvert.parse(ext.value, NameConstraints) : undefined
    const domains = Array.from(constraints?.permittedSubtrees ?? [], (s) => s.base.dNSName).filter((d): d is string => Boolean(d))
    return new LocalCA(dir, cert, key, kind, domains)
  }

  static async create(dir: string, options: { now?: Date; permittedDomains?: string[]; keyKind?: KeyKind } = {}): Promise<LocalCA> {
    const now = options.now ?? new Date()
    const keyKind = options.keyKind ?? 'ecdsa-p256'
    const domains = options.permittedDomains ?? DEFAULT_PERMITTED_DOMAINS
    const keys = await generateKeyPair(keyKind)
    const user = `${os.userInfo().username}@${os.hostname()}`
    const notAfter = new Date(now)
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS)
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ CN: [`Aerie Local CA — ${user}`] }, { O: ['Aerie local development'] }],
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter,
      keys,
      signingAlgorithm: SIGNING_ALGORITHMS[keyKind],
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        nameConstraintsExtension(domains),
      ],
    })
    await fs.mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(LocalCA.keyFile(dir), await privateKeyToPem(keys.privateKey), 0o600)
    await writeFileAtomic(LocalCA.certFile(dir), cert.toString('pem') + '\n')
    return new LocalCA(dir, cert, keys.privateKey, keyKind, [...domains])
  }

  get certPem(): string {
    return this.cert.toString('pem') + '\n'
  }

  /** Issues a TLS server certificate for `names` (DNS names and loopback IPs), refusing names outside the constraints. */
  async issueLeaf(names: string[], options: { now?: Date; validityDays?: number; keyKind?: KeyKind } = {}): Promise<IssuedLeaf> {
    const refusals = names.map((n) => refusalFor(n, this.permittedDomains)).filter(Boolean)
    if (refusals.length) throw new Error(refusals.join('; '))
    const now = options.now ?? new Date()
    const keyKind = options.keyKind ?? 'ecdsa-p256'
    const days = Math.min(options.validityDays ?? LEAF_MAX_VALIDITY_DAYS, LEAF_MAX_VALIDITY_DAYS)
    const notAfter = new Date(Math.min(now.getTime() + days * DAY_MS, this.cert.notAfter.getTime()))
    const keys = await generateKeyPair(keyKind)
    const isIp = (n: string) => /^[\d.]+$/.test(n) || n.includes(':')
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ CN: [names.find((n) => !isIp(n)) ?? names[0]] }, { O: ['Aerie local development'] }],
      issuer: this.cert.subjectName,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter,
      publicKey: keys.publicKey,
      signingKey: this.key,
      signingAlgorithm: SIGNING_ALGORITHMS[this.keyKind],
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (keyKind === 'rsa-2048' ? x509.KeyUsageFlags.keyEncipherment : 0), true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((n) => (isIp(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
      ],
    })
    return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyToPem(keys.privateKey), notAfter }
  }
}
