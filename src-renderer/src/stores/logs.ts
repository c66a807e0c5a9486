import { defineStore } from 'pinia'
import { ref, shallowRef, triggerRef } from 'vue'
import type { LogLine } from '../../../src-main/contract'
import { api } from '../api'
import { useConnectionStore } from './connection'

/** Lines the renderer keeps (a virtual list shows them); the engine keeps its own buffer and files. */
const MAX_LINES = 100_000

/** The line that stands where lines were lost: between two seqs, so it sorts and keys apart from real ones. */
export function skippedMarker(afterSeq: number, count: number, time: number): LogLine {
  return {
    seq: afterSeq + 0.5,
    time,
    stackId: 'aerie',
    source: 'aerie',
    stream: 'system',
    text: `… ${count.toLocaleString('en')} line${count === 1 ? '' : 's'} skipped: the engine's buffer no longer holds them (every line is in the stack's log files)`,
  }
}

/** Whether a line is the marker of skipped lines. */
export const isSkippedMarker = (line: LogLine) => !Number.isInteger(line.seq)

export const useLogsStore = defineStore('logs', () => {
  // shallowRef + triggerRef: a burst costs one reactive update per batch, not one per line.
  const lines = shallowRef<LogLine[]>([])
  /** Bumped on every change: `lines` keeps its array (appended in place, trimmed at the front), so views watch this. */
  const version = ref(0)
  /** Lines appended since the page loaded (the length stops growing once the store is full). */
  const received = ref(0)
  const sources = shallowRef<string[]>([])
  const knownSources = new Set<string>()
  /** Listeners for new batches (the per-process terminals write them as they come). */
  const batchListeners = new Set<(batch: LogLine[]) => void>()

  /** Lines carry consecutive sequence numbers: anything at or below the last one is already here, a jump is a gap. */
  let lastSeq = 0
  /** While missed lines are asked for again, batches wait here, in order. */
  let pending: LogLine[][] | undefined

  function changed(added: LogLine[]) {
    let newSource = false
    for (const l of added) {
      if (isSkippedMarker(l)) continue
      const key = `${l.stackId}/${l.source}`
      if (!knownSources.has(key)) (knownSources.add(key), (newSource = true))
    }
    if (newSource) sources.value = [...knownSources].sort()
    triggerRef(lines)
    version.value++
    received.value += added.length
  }

  function push(fresh: LogLine[]) {
    const all = lines.value
    for (const line of fresh) all.push(line)
    lastSeq = Math.floor(fresh[fresh.length - 1].seq)
    if (all.length > MAX_LINES) all.splice(0, all.length - MAX_LINES)
    changed(fresh)
    batchListeners.forEach((l) => l(fresh))
  }

  function append(batch: LogLine[]) {
    if (pending) return void pending.push(batch)
    const fresh = batch.filter((l) => l.seq > lastSeq)
    if (!fresh.length) return
    if (lastSeq && fresh[0].seq > lastSeq + 1) return void resync([fresh])
    push(fresh)
  }

  /**
   * Lines went missing between `lastSeq` and what came (the socket dropped some, or the engine said
   * it did): asks for everything after the last line here; what the engine no longer has becomes one
   * "N lines skipped" line.
   */
  async function resync(waiting: LogLine[][] = []) {
    if (pending) return void pending.push(...waiting)
    pending = waiting
    const after = lastSeq
    let missed: LogLine[]
    try {
      missed = await api.logs.tail(MAX_LINES, { afterSeq: after })
    } catch {
      // Disconnected: the reconnect loads the tail again.
      pending = undefined
      return
    }
    const queued = pending.flat()
    pending = undefined
    const merged = [...missed, ...queued.filter((l) => l.seq > (missed.at(-1)?.seq ?? after))]
    if (!merged.length) return
    const first = merged[0].seq
    if (after && first > after + 1) merged.unshift(skippedMarker(after, first - after - 1, merged[0].time))
    push(merged)
  }

  async function load() {
    const loaded = await api.logs.tail(MAX_LINES)
    const loadedLast = loaded.at(-1)?.seq ?? 0
    lines.value = [...loaded, ...lines.value.filter((l) => l.seq > loadedLast)]
    // From the merged list, not the old counter: a restarted engine numbers its lines from 1 again.
    lastSeq = Math.floor(lines.value.at(-1)?.seq ?? 0)
    changed(lines.value)
  }

  api.on('log:lines', append)
  api.on('stream:dropped', ({ names }) => {
    if (names.includes('log:lines')) void resync()
  })
  useConnectionStore().onReconnect(load)
  void load()
  return {
    lines,
    version,
    received,
    sources,
    /** Empties this view only: the engine keeps its buffer (the next reload shows it again) and its log files. */
    clear: () => {
      lines.value = []
      version.value++
    },

    onBatch: (listener: (batch: LogLine[]) => void) => {
      batchListeners.add(listener)
      return () => batchListeners.delete(listener)
    },
  }
})
