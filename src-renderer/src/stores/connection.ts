import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '../api'
import type { ConnectionState } from '../api/transport'

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('connecting')
  const listeners: (() => void)[] = []
  api.onConnection((next) => {
    const reconnected = state.value === 'lost' && next === 'open'
    state.value = next
    if (reconnected) listeners.forEach((l) => l())
  })
  /** Runs `listener` after a lost connection comes back, so stores can resync. */
  function onReconnect(listener: () => void) {
    listeners.push(listener)
  }
  return { state, onReconnect }
})
