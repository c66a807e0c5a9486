import { writeTrustBundle } from './trust-bundle.js'
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../atomic-file.js'
import { dataLayout } from '../data-layout.js'
import type { KeyKind } from './key-algorithms.js'
import { LocalCA } from './local-ca.js'
import { buildPfx, readPfx } from './pfx.js'

/** Aerie renews a leaf certificate when fewer days than this remain. */
export const RENEW_BEFORE_DAYS = 30
const DAY_MS = 24 * 60 * 60 * 1000
/** Names every leaf covers besides the stack's hostnames, so that https://localhost works too. */
export const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']

const MetaSchema = z.object({ source: z.enum(['aerie', 'imported']), keyKind: z.enum(['ecdsa-p256', 'rsa-2048']).optional() })

export interface LeafInfo {
  stackId: string
  names: string[]
  notBefore: string
  notAfter: string
  fingerprint: string
  source: 'aerie' | 'imported'
  certFile: string
  keyFile: string
}

export interface CaInfo {
  subject: string
  fingerprint: string
  notBefore: string
  notAfter: string
  permittedDomains: string[]
  certFile: string
}

export interface LeafMaterial {
  certPem: string
  keyPem: string
  chainPem: string
  info: LeafInfo
}

function namesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .map((n) => (n === '0:0:0:0:0:0:0:1' ? '::1' : n))
}

function covers(cert: X509Certificate, host: string): boolean {
  return net.isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined
}

/** The local CA and one leaf certificate per stack under `<dataDir>/certs/`. */
export class CertificateManager {
  private caPromise?: Promise<LocalCA>
  readonly caDir: string
  readonly certsDir: string

  constructor(
    dataDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    const layout = dataLayout(dataDir)
    this.caDir = layout.caDir
    this.certsDir = layout.certsDir
  }

  /** The CA, created on first use. */
  ca(): Promise<LocalCA> {
    this.caPromise ??= LocalCA.loadOrCreate(this.caDir, { now: this.now() }).catch((err) => {
      this.caPromise = undefined
      throw err
    })
    return this.caPromise
  }

  /** The CA bundle instances trust (the system's roots and this CA), written for them; its path. */
  async trustBundle(): Promise<string> {
    return writeTrustBundle(this.caDir, (await this.ca()).certPem)
  }

  async caInfo(): Promise<CaInfo> {
    const ca = await this.ca()
    const cert = new X509Certificate(ca.certPem)
    return { subject: cert.subject.replace(/\n/g, ', '), fingerprint: cert.fingerprint256, notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString(), permittedDomains: ca.permittedDomains, certFile: LocalCA.certFile(this.caDir) }
  }

  private files(stackId: string) {
    const dir = path.join(this.certsDir, stackId)
    return { dir, cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'), meta: path.join(dir, 'meta.json') }
  }

  async read(stackId: string): Promise<LeafMaterial | undefined> {
    const f = this.files(stackId)
    try {
      const [certPem, keyPem, metaText] = await Promise.all([fs.readFile(f.cert, 'utf8'), fs.readFile(f.key, 'utf8'), fs.readFile(f.meta, 'utf8')])
      const meta = MetaSchema.parse(JSON.parse(metaText))
      const cert = new X509Certificate(certPem)
      const ca = await this.ca()
      const info: LeafInfo = { stackId, names: namesOf(cert), notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString(), fingerprint: cert.fingerprint256, source: meta.source, certFile: f.cert, keyFile: f.key }
      return { certPem, keyPem, chainPem: meta.source === 'aerie' ? ca.certPem : '', info }
    } catch {
      return undefined
    }
  }

  /** Why the stored leaf must be replaced, or undefined when it still serves `names`. */
  renewalReason(material: LeafMaterial, names: string[]): string | undefined {
    const cert = new X509Certificate(material.certPem)
    const daysLeft = (new Date(cert.validTo).getTime() - this.now().getTime()) / DAY_MS
    if (material.info.source === 'imported') return undefined
    if (daysLeft < RENEW_BEFORE_DAYS) return `it expires in ${Math.max(0, Math.floor(daysLeft))} days`
    const missing = names.filter((n) => !covers(cert, n))
    if (missing.length) return `it does not cover ${missing.join(', ')}`
    return undefined
  }

  /** The stack's certificate for its hostnames, issued or renewed when needed. */
  async ensureLeaf(stackId: string, hostnames: string[], keyKind: KeyKind = 'ecdsa-p256'): Promise<LeafMaterial & { renewed?: string }> {
    const names = [...new Set([...hostnames, ...LOOPBACK_NAMES])]
    const existing = await this.read(stackId)
    const reason = existing ? this.renewalReason(existing, names) : 'there was none'
    if (existing && !reason) return existing
    const ca = await this.ca()
    const leaf = await ca.issueLeaf(names, { now: this.now(), keyKind })
    await this.store(stackId, leaf.certPem, leaf.keyPem, { source: 'aerie', keyKind })
    return { ...(await this.read(stackId))!, renewed: reason }
  }

  private async store(stackId: string, certPem: string, keyPem: string, meta: z.infer<typeof MetaSchema>): Promise<void> {
    const f = this.files(stackId)
    await fs.mkdir(f.dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(f.key, keyPem, 0o600)
    await writeFileAtomic(f.cert, certPem)
    await writeFileAtomic(f.meta, JSON.stringify(meta) + '\n')
  }

  async list(): Promise<LeafInfo[]> {
    const ids = await fs.readdir(this.certsDir).catch(() => [] as string[])
    const leaves = await Promise.all(ids.sort().map((id) => this.read(id)))
    return leaves.filter((l): l is LeafMaterial => Boolean(l)).map((l) => l.info)
  }

  async remove(stackId: string): Promise<void> {
    await fs.rm(this.files(stackId).dir, { recursive: true, force: true })
  }

  async exportPfx(stackId: string, password: string): Promise<Buffer> {
    if (password.length < 4) throw new Error('the PFX password must have at least 4 characters')
    const material = await this.read(stackId)
    if (!material) throw new Error(`stack "${stackId}" has no certificate yet; start it with HTTPS on, or renew its certificate`)
    return buildPfx({ certPem: material.certPem, keyPem: material.keyPem, chainPems: material.chainPem ? [material.chainPem] : [], password, friendlyName: `Aerie ${stackId}` })
  }

  /** Imports the key and certificate of a PKCS#12 file: the certificate that matches the key first, the others as its chain. */
  async importPfx(stackId: string, pfx: Buffer, password: string, hostnames: string[]): Promise<LeafInfo> {
    const { keyPem, certPems } = await readPfx(pfx, password)
    const publicKey = createPublicKey(createPrivateKey(keyPem)).export({ format: 'pem', type: 'spki' }).toString()
    const leaf = certPems.find((pem) => new X509Certificate(pem).publicKey.export({ format: 'pem', type: 'spki' }).toString() === publicKey)
    if (!leaf) throw new Error('the private key in the PFX does not match any certificate in it')
    return this.importPem(stackId, [leaf, ...certPems.filter((p) => p !== leaf)].join(''), keyPem, hostnames)
  }

  /**
   * Replaces the CA with one that may sign for `domains` (name constraints live in the CA
   * certificate, so they cannot change in place). Leaves signed by the old CA are deleted;
   * the new CA must be trusted again.
   */
  async recreateCa(domains: string[]): Promise<void> {
    const issuedByOld = (await this.list()).filter((leaf) => leaf.source === 'aerie')
    for (const leaf of issuedByOld) await this.remove(leaf.stackId)
    await fs.rm(this.caDir, { recursive: true, force: true })
    this.caPromise = LocalCA.create(this.caDir, { now: this.now(), permittedDomains: domains })
    await this.caPromise
  }

  /**
   * Uses an existing certificate and key for a stack instead of Aerie's: they must match,
   * be valid now, and cover every hostname of the stack.
   */
  async importPem(stackId: string, certPem: string, keyPem: string, hostnames: string[]): Promise<LeafInfo> {
    let cert: X509Certificate
    try {
      cert = new X509Certificate(certPem)
    } catch (err) {
      throw new Error(`the certificate is not a PEM certificate: ${(err as Error).message}`)
    }
    let publicFromKey: string
    try {
      publicFromKey = createPublicKey(createPrivateKey(keyPem)).export({ format: 'pem', type: 'spki' }).toString()
    } catch (err) {
      throw new Error(`the key is not a PEM private key (or it is encrypted): ${(err as Error).message}`)
    }
    if (cert.publicKey.export({ format: 'pem', type: 'spki' }).toString() !== publicFromKey) throw new Error('the private key does not match the certificate')
    const now = this.now().getTime()
    if (new Date(cert.validTo).getTime() < now) throw new Error(`the certificate expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}`)
    if (new Date(cert.validFrom).getTime() > now) throw new Error(`the certificate is not valid before ${new Date(cert.validFrom).toISOString().slice(0, 10)}`)
    const missing = hostnames.filter((h) => !covers(cert, h))
    if (missing.length) throw new Error(`the certificate does not cover ${missing.join(', ')} (it covers ${namesOf(cert).join(', ') || cert.subject})`)
    await this.store(stackId, certPem, keyPem, { source: 'imported' })
    return (await this.read(stackId))!.info
  }
}
