import { describe } from 'vitest'
import { caddySpec } from '../../src-main/core/proxy/caddy/caddy-driver.js'
import { externalProxyDriver } from '../../src-main/core/proxy/external/external-proxy.js'
import { requireBinary } from '../support/binaries.js'
import { externalProxyCases } from '../support/external-proxy-cases.js'

describe.skipIf(!requireBinary('caddy'))('Caddy, configured and supervised by Aerie', () => {
  externalProxyCases(externalProxyDriver(caddySpec))
})
