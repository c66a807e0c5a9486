import { describe } from 'vitest'
import { externalProxyDriver } from '../../src-main/core/proxy/external/external-proxy.js'
import { nginxSpec } from '../../src-main/core/proxy/nginx/nginx-driver.js'
import { requireBinary } from '../support/binaries.js'
import { externalProxyCases } from '../support/external-proxy-cases.js'

describe.skipIf(!requireBinary('nginx'))('nginx, configured and supervised by Aerie', () => {
  externalProxyCases(externalProxyDriver(nginxSpec))
})
