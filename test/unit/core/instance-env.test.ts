import { describe, expect, it } from 'vitest'
import { instanceEnv } from '../../../src-main/core/supervisor/instance-env.js'
import type { AppServer } from '../../../src-main/core/stacks/stack-schema.js'

const dotnet = (env: Record<string, string> = {}) => ({ name: 'web', kind: 'dotnet', project: '/p/App.csproj', env }) as unknown as AppServer

describe('the environment of an instance', () => {
  it('gives a .NET instance its URL, number, the forwarded headers and the HTTPS port, and the CA bundle to each runtime', () => {
    const env = instanceEnv(dotnet(), 2, 5001, { caBundle: '/data/trust.pem', httpsPort: 8443 })
    expect(env).toMatchObject({ PORT: '5001', INSTANCE: '2', ASPNETCORE_URLS: 'http://127.0.0.1:5001', ASPNETCORE_FORWARDEDHEADERS_ENABLED: 'true', ASPNETCORE_HTTPS_PORT: '8443', SSL_CERT_FILE: '/data/trust.pem', NODE_EXTRA_CA_CERTS: '/data/trust.pem' })
  })
  it("keeps what the app server sets: its own forwarded-headers switch, HTTPS port and CA bundle", () => {
    const env = instanceEnv(dotnet({ ASPNETCORE_FORWARDEDHEADERS_ENABLED: 'false', ASPNETCORE_HTTPS_PORT: '443', SSL_CERT_FILE: '/mine.pem' }), 1, 5000, { caBundle: '/data/trust.pem', httpsPort: 8443 })
    expect(env).toMatchObject({ ASPNETCORE_FORWARDEDHEADERS_ENABLED: 'false', ASPNETCORE_HTTPS_PORT: '443', SSL_CERT_FILE: '/mine.pem' })
  })
  it('sets no HTTPS port without an HTTPS listener', () => {
    expect(instanceEnv(dotnet(), 1, 5000, {}).ASPNETCORE_HTTPS_PORT).toBe(process.env.ASPNETCORE_HTTPS_PORT)
  })
})
