import { createPrivateKey } from 'node:crypto'
import type { webcrypto } from 'node:crypto'
import { subtle, x509, type CryptoKey, type CryptoKeyPair } from './x509-setup.js'

export type KeyKind = 'ecdsa-p256' | 'rsa-2048'

export const KEY_ALGORITHMS: Record<KeyKind, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
}

export const SIGNING_ALGORITHMS: Record<KeyKind, webcrypto.Algorithm | webcrypto.EcdsaParams> = {
  'ecdsa-p256': { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5' },
}

export async function generateKeyPair(kind: KeyKind): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(KEY_ALGORITHMS[kind], true, ['sign', 'verify'])) as CryptoKeyPair
}

/** PEM text ending in a newline, so that several can be concatenated into one file. */
export const toPem = (der: ArrayBuffer, label: string): string => `${x509.PemConverter.encode(der, label)}\n`

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  return toPem(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY')
}

/** Loads a PEM private key (PKCS#8, or PKCS#1/SEC1 as OpenSSL writes them) as a signing key. */
export async function privateKeyFromPem(pem: string): Promise<{ key: CryptoKey; kind: KeyKind }> {
  const keyObject = createPrivateKey(pem)
  const kind: KeyKind = keyObject.asymmetricKeyType === 'ec' ? 'ecdsa-p256' : 'rsa-2048'
  const der = keyObject.export({ format: 'der', type: 'pkcs8' })
  const key = await subtle.importKey('pkcs8', der, KEY_ALGORITHMS[kind], true, ['sign'])
  return { key, kind }
}
