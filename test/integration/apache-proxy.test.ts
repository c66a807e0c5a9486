import { describe } from 'vitest'
import { apacheSpec } from '../../src-main/core/proxy/apache/apache-driver.js'
import { externalProxyDriver } from '../../src-main/core/proxy/external/external-proxy.js'
import { requireBinary } from '../support/binaries.js'
import { externalProxyCases } from '../support/external-proxy-cases.js'

describe.skipIf(!requireBinary('apache2'))('Apache httpd, configured and supervised by Aerie', () => {
  externalProxyCases(externalProxyDriver(apacheSpec))
})
