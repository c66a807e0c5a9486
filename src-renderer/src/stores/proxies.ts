import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { CommandResponse } from '../../../src-main/contract'
import { api } from '../api'

/** Which proxy kinds can run here (with install hints for those that cannot), asked once per session. */
export const useProxiesStore = defineStore('proxies', () => {
  const kinds = ref<CommandResponse<'proxy:kinds'>>([])
  let loaded: Promise<void> | undefined
  function load() {
    loaded ??= api.proxies.kinds().then((k) => void (kinds.value = k))
    return loaded
  }
  return { kinds, load }
})
