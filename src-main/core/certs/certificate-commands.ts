import os from 'node:os'
import type { CommandResponse } from '../../contract.js'
import type { CertificateManager } from './certificate-manager.js'
import { hostPlatform } from '../platform/platform.js'
import { applyTrust, trustStates, type TrustStore } from './trust.js'

/** The Certificates face of the engine: list, renew, export, import, trust. */
export class CertificateCommands {
  constructor(
    private readonly certs: CertificateManager,
    private readonly hostnamesOf: (stackId: string) => string[],
    private readonly keyKindOf: (stackId: string) => 'ecdsa-p256' | 'rsa-2048',
  ) {}

  private async stores(): Promise<TrustStore[]> {
    const ca = await this.certs.caInfo()
    // One nickname per CA: a re-created CA never shadows or removes another one's entry.
    const nickname = `Aerie Local CA ${ca.fingerprint.replace(/:/g, '').slice(0, 12)}`
    return hostPlatform().trustStores({ caFile: ca.certFile, nickname, home: process.env.HOME ?? os.homedir() })
  }

  async list(): Promise<CommandResponse<'cert:list'>> {
    const [ca, leaves] = await Promise.all([this.certs.caInfo(), this.certs.list()])
    return { ca, leaves, trust: await trustStates(await this.stores()) }
  }

  async renew(stackId: string): Promise<CommandResponse<'cert:renew'>> {
    await this.certs.remove(stackId)
    return (await this.certs.ensureLeaf(stackId, this.hostnamesOf(stackId), this.keyKindOf(stackId))).info
  }

  async export(stackId: string | undefined, format: 'pem' | 'pfx', password?: string): Promise<CommandResponse<'cert:export'>> {
    const ca = await this.certs.ca()
    if (!stackId) return { files: [{ name: 'aerie-local-ca.pem', encoding: 'utf8', content: ca.certPem }] }
    if (format === 'pfx') {
      if (!password) throw new Error('a PFX export needs a password (Kestrel reads it from Kestrel:Certificates:Default:Password)')
      return { files: [{ name: `${stackId}.pfx`, encoding: 'base64', content: (await this.certs.exportPfx(stackId, password)).toString('base64') }] }
    }
    const material = await this.certs.read(stackId)
    if (!material) throw new Error(`stack "${stackId}" has no certificate yet; start it with HTTPS on, or renew its certificate`)
    return {
      files: [
        { name: `${stackId}.cert.pem`, encoding: 'utf8', content: material.certPem },
        { name: `${stackId}.key.pem`, encoding: 'utf8', content: material.keyPem },
        ...(material.chainPem ? [{ name: `${stackId}.chain.pem`, encoding: 'utf8' as const, content: material.chainPem }] : []),
      ],
    }
  }

  async import(request: { stackId: string } & ({ certPem: string; keyPem: string } | { pfxBase64: string; password: string })): Promise<CommandResponse<'cert:import'>> {
    const hostnames = this.hostnamesOf(request.stackId)
    if ('pfxBase64' in request) return this.certs.importPfx(request.stackId, Buffer.from(request.pfxBase64, 'base64'), request.password, hostnames)
    return this.certs.importPem(request.stackId, request.certPem, request.keyPem, hostnames)
  }

  async setDomains(domains: string[]): Promise<CommandResponse<'cert:set-domains'>> {
    await this.certs.recreateCa([...new Set(domains)])
    return this.certs.caInfo()
  }

  async trust(action: 'install' | 'uninstall', includeSystem: boolean): Promise<CommandResponse<'cert:trust'>> {
    const stores = await this.stores()
    const results = await applyTrust(stores, action, includeSystem)
    return { results, trust: await trustStates(stores) }
  }
}
