import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { CertificatesView } from '../../../src-main/contract'
import { api } from '../api'
import { downloadFiles } from '../download'
import { useToastsStore } from './toasts'

/** The local CA, the stacks' certificates and where the CA is trusted; reloaded after every action. */
export const useCertificatesStore = defineStore('certificates', () => {
  const view = ref<CertificatesView>()
  const loading = ref(false)
  const loadError = ref<string>()
  /** The action in flight (`renew:demo`, `trust`, …), for progress on its button. */
  const busy = ref<string>()
  const toasts = useToastsStore()

  async function load() {
    loading.value = true
    try {
      view.value = await api.certs.list()
      loadError.value = undefined
    } catch (err) {
      loadError.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  async function act<T>(key: string, action: () => Promise<T>, done?: (result: T) => void): Promise<boolean> {
    busy.value = key
    try {
      const result = await action()
      done?.(result)
      await load()
      return true
    } catch (err) {
      toasts.error((err as Error).message)
      return false
    } finally {
      busy.value = undefined
    }
  }

  return {
    view,
    loading,
    loadError,
    busy,
    load,
    renew: (stackId: string) => act(`renew:${stackId}`, () => api.certs.renew(stackId), () => toasts.info(`Issued a new certificate for ${stackId}`)),
    remove: (stackId: string) => act(`remove:${stackId}`, () => api.certs.remove(stackId)),
    exportFiles: (stackId: string | undefined, format: 'pem' | 'pfx', password?: string) => act(`export:${stackId ?? 'ca'}`, () => api.certs.export(stackId, format, password), (r) => downloadFiles(r.files)),
    importPem: (stackId: string, certPem: string, keyPem: string) => act('import', () => api.certs.importPem(stackId, certPem, keyPem), () => toasts.info(`Imported a certificate for ${stackId}`)),
    importPfx: (stackId: string, pfxBase64: string, password: string) => act('import', () => api.certs.importPfx(stackId, pfxBase64, password), () => toasts.info(`Imported a certificate for ${stackId}`)),
    setDomains: (domains: string[]) => act('domains', () => api.certs.setDomains(domains), () => toasts.info('Created a new local CA: trust it again, and restart stacks that use HTTPS')),
    trust: (action: 'install' | 'uninstall') =>
      act('trust', () => api.certs.trust(action), (r) => {
        for (const result of r.results) if (result.ok) toasts.info(`${result.name}: ${result.message}`)
      }),
  }
})
