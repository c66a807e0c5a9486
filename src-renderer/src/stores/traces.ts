import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import type { Trace } from '../../../src-main/contract'
import { api } from '../api'
import { useConnectionStore } from './connection'

/** Requests the Traces view keeps (a virtual list renders only what is on screen). */
const MAX_TRACES = 20_000

export const useTracesStore = defineStore('traces', () => {
  const traces = shallowRef<Trace[]>([])

  /** Ids already shown: a batch that races with the initial load must not list a request twice. */
  let seen = new Set<string>()

  function append(batch: Trace[]) {
    const fresh = batch.filter((t) => !seen.has(t.id))
    fresh.forEach((t) => seen.add(t.id))
    if (!fresh.length) return
    const next = traces.value.concat(fresh)
    if (next.length > MAX_TRACES) {
      for (const dropped of next.slice(0, next.length - MAX_TRACES)) seen.delete(dropped.id)
      traces.value = next.slice(next.length - MAX_TRACES)
    } else traces.value = next
  }

  async function load() {
    const loaded = await api.traces.list(MAX_TRACES)
    // Keep what arrived by event while the list was on its way.
    const ids = new Set(loaded.map((t) => t.id))
    traces.value = [...loaded, ...traces.value.filter((t) => !ids.has(t.id))]
    seen = new Set(traces.value.map((t) => t.id))
  }

  api.on('trace:batch', append)
  useConnectionStore().onReconnect(load)
  void load()
  return {
    traces,
    clear: () => {
      traces.value = []
      seen = new Set()
    },
  }
})
