import { defineStore } from 'pinia'
import { computed, shallowRef, triggerRef } from 'vue'
import type { LogLine } from '../../../src-main/contract'
import { api } from '../api'
import { useConnectionStore } from './connection'

/** Lines the renderer keeps (a virtual list shows them); the engine keeps its own buffer and files. */
const MAX_LINES = 100_000

export const useLogsStore = defineStore('logs', () => {
  // shallowRef + triggerRef: a burst costs one reactive update per batch, not one per line.
  const lines = shallowRef<LogLine[]>([])
  /** Listeners for new batches (the per-process terminals write them as they come). */
  const batchListeners = new Set<(batch: LogLine[]) => void>()

  /** Lines carry increasing sequence numbers: anything at or below the last one is already here. */
  let lastSeq = 0

  function append(batch: LogLine[]) {
    const all = lines.value
    const fresh = batch.filter((l) => l.seq > lastSeq)
    if (!fresh.length) return
    for (const line of fresh) all.push(line)
    lastSeq = fresh[fresh.length - 1].seq
    if (all.length > MAX_LINES) all.splice(0, all.length - MAX_LINES)
    triggerRef(lines)
    batchListeners.forEach((l) => l(fresh))
  }

  async function load() {
    const loaded = await api.logs.tail(MAX_LINES)
    const loadedLast = loaded.at(-1)?.seq ?? 0
    lines.value = [...loaded, ...lines.value.filter((l) => l.seq > loadedLast)]
    // From the merged list, not the old counter: a restarted engine numbers its lines from 1 again.
    lastSeq = lines.value.at(-1)?.seq ?? 0
  }

  const sources = computed(() => [...new Set(lines.value.map((l) => `${l.stackId}/${l.source}`))].sort())

  api.on('log:lines', append)
  useConnectionStore().onReconnect(load)
  void load()
  return {
    lines,
    sources,
    clear: () => {
      lines.value = []
    },

    onBatch: (listener: (batch: LogLine[]) => void) => {
      batchListeners.add(listener)
      return () => batchListeners.delete(listener)
    },
  }
})
