import { defineStore } from 'pinia'
import { shallowRef, triggerRef } from 'vue'
import type { LogLine } from '../../../src-main/contract'
import { api } from '../api'
import { useConnectionStore } from './connection'

/** Lines the renderer keeps; the engine keeps more and the view asks for a fresh tail on reconnect. */
const MAX_LINES = 5_000

export const useLogsStore = defineStore('logs', () => {
  // shallowRef + triggerRef: a burst of lines costs one reactive update per batch, not per line.
  const lines = shallowRef<LogLine[]>([])

  function append(batch: LogLine[]) {
    const next = lines.value.concat(batch)
    lines.value = next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next
    triggerRef(lines)
  }

  async function load() {
    lines.value = await api.logs.tail(MAX_LINES)
  }

  api.on('log:lines', append)
  useConnectionStore().onReconnect(load)
  void load()
  return { lines, clear: () => (lines.value = []) }
})
