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
    // Keep what arrived by event while the list was on its way (and, after a drop, what is older than the engine's list), in time order.
    const ids = new Set(loaded.map((t) => t.id))
    traces.value = [...traces.value.filter((t) => !ids.has(t.id)), ...loaded].sort((a, b) => a.time - b.time).slice(-MAX_TRACES)
    seen = new Set(traces.value.map((t) => t.id))
  }

  api.on('trace:batch', append)
  // The headless server dropped batches for this page (it fell behind) and says so once it caught up: ask again.
  api.on('stream:dropped', ({ names }) => {
    if (names.includes('trace:batch')) void load()
  })
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
