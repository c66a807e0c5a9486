import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import type { Trace } from '../../../src-main/contract'
import { api } from '../api'
import { useConnectionStore } from './connection'

const MAX_TRACES = 2_000

export const useTracesStore = defineStore('traces', () => {
  const traces = shallowRef<Trace[]>([])

  function append(batch: Trace[]) {
    const next = traces.value.concat(batch)
    traces.value = next.length > MAX_TRACES ? next.slice(next.length - MAX_TRACES) : next
  }

  async function load() {
    traces.value = await api.traces.list(MAX_TRACES)
  }

  api.on('trace:batch', append)
  useConnectionStore().onReconnect(load)
  void load()
  return { traces, clear: () => (traces.value = []) }
})
