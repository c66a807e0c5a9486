import { webcrypto } from 'node:crypto'
import tls from 'node:tls'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { toPem } from './key-algorithms.js'
import { x509 } from './x509-setup.js'

/** PBKDF2 rounds for the key and certificate bags and the MAC: OpenSSL 3's default. */
const PFX_ITERATIONS = 2048

pkijs.setEngine('aerie', new pkijs.CryptoEngine({ name: 'aerie', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] }))

function pemToDer(pem: string): ArrayBuffer {
  const der = x509.PemConverter.decode(pem)[0]
  return der instanceof ArrayBuffer ? der : new Uint8Array(der).buffer
}

function bag(value: pkijs.SafeBag['bagValue'], bagId: string, localKeyId: ArrayBuffer, friendlyName: string): pkijs.SafeBag {
  return new pkijs.SafeBag({
    bagId,
    bagValue: value,
    bagAttributes: [
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.20', values: [new asn1js.BmpString({ value: friendlyName })] }),
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.21', values: [new asn1js.OctetString({ valueHex: localKeyId })] }),
    ],
  })
}

/**
 * A password-protected PKCS#12 file with the key, its certificate and the chain, as
 * OpenSSL 3 writes them (PBES2 with AES-256-CBC and PBKDF2-SHA256, HMAC-SHA256 MAC):
 * what Kestrel's `Kestrel:Certificates:Default:Path`/`Password` and Windows read.
 */
export async function buildPfx(options: { certPem: string; keyPem: string; chainPems?: string[]; password: string; friendlyName: string }): Promise<Buffer> {
  const password = new TextEncoder().encode(options.password).buffer as ArrayBuffer
  const localKeyId = webcrypto.getRandomValues(new Uint8Array(8)).buffer as ArrayBuffer
  const certs = [options.certPem, ...(options.chainPems ?? [])].map((pem) => pkijs.Certificate.fromBER(pemToDer(pem)))
  const keyInfo = pkijs.PrivateKeyInfo.fromBER(pemToDer(options.keyPem))
  const encryption = { password, contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 }, hmacHashAlgorithm: 'SHA-256', iterationCount: PFX_ITERATIONS }

  const certBags = certs.map((cert, i) =>
    i === 0 ? bag(new pkijs.CertBag({ parsedValue: cert }), '1.2.840.113549.1.12.10.1.3', localKeyId, options.friendlyName) : new pkijs.SafeBag({ bagId: '1.2.840.113549.1.12.10.1.3', bagValue: new pkijs.CertBag({ parsedValue: cert }) }),
  )
  const keyBag = bag(new pkijs.PKCS8ShroudedKeyBag({ parsedValue: keyInfo }), '1.2.840.113549.1.12.10.1.2', localKeyId, options.friendlyName)

  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certBags }) },
            { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [keyBag] }) },
          ],
        },
      }),
    },
  })
  await (keyBag.bagValue as pkijs.PKCS8ShroudedKeyBag).makeInternalValues(encryption)
  await pfx.parsedValue!.authenticatedSafe!.makeInternalValues({ safeContents: [encryption, {}] })
  await pfx.makeInternalValues({ password, iterations: PFX_ITERATIONS, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' })
  return Buffer.from(pfx.toSchema().toBER(false))
}


/** The key and certificates inside a PKCS#12 file, as PEM; a wrong password is reported as such. */
export async function readPfx(pfxBytes: Buffer, password: string): Promise<{ keyPem: string; certPems: string[] }> {
  try {
    tls.createSecureContext({ pfx: pfxBytes, passphrase: password })
  } catch (err) {
    const message = (err as Error).message
    if (/mac verify failure|bad decrypt|invalid password/i.test(message)) throw new Error('wrong PFX password')
    throw new Error(`not a readable PFX/PKCS#12 file: ${message}`)
  }
  const pass = new TextEncoder().encode(password).buffer as ArrayBuffer
  const pfx = pkijs.PFX.fromBER(new Uint8Array(pfxBytes).buffer)
  await pfx.parseInternalValues({ password: pass, checkIntegrity: true })
  const safe = pfx.parsedValue!.authenticatedSafe!
  await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password: pass })) })
  const certPems: string[] = []
  let keyPem: string | undefined
  for (const contents of safe.parsedValue!.safeContents) {
    for (const safeBag of contents.value.safeBags) {
      if (safeBag.bagValue instanceof pkijs.PKCS8ShroudedKeyBag) {
        await safeBag.bagValue.parseInternalValues({ password: pass })
        keyPem = toPem(safeBag.bagValue.parsedValue!.toSchema().toBER(false), 'PRIVATE KEY')
      } else if (safeBag.bagValue instanceof pkijs.PrivateKeyInfo) {
        keyPem = toPem(safeBag.bagValue.toSchema().toBER(false), 'PRIVATE KEY')
      } else if (safeBag.bagValue instanceof pkijs.CertBag && safeBag.bagValue.parsedValue instanceof pkijs.Certificate) {
        certPems.push(toPem(safeBag.bagValue.parsedValue.toSchema().toBER(false), 'CERTIFICATE'))
      }
    }
  }
  if (!keyPem) throw new Error('the PFX holds no private key')
  if (!certPems.length) throw new Error('the PFX holds no certificate')
  return { keyPem, certPems }
}
