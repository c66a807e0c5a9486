import { defineStore } from 'pinia'
import { ref } from 'vue'

/** Errors and confirmations shown where the user will look; each fades after a while. */
const TOAST_LIFETIME_MS = 8_000

export interface Toast {
  id: number
  kind: 'error' | 'info'
  text: string
}

export const useToastsStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([])
  let nextId = 1

  function dismiss(id: number) {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }

  function show(kind: Toast['kind'], text: string) {
    const id = nextId++
    toasts.value.push({ id, kind, text })
    setTimeout(() => dismiss(id), TOAST_LIFETIME_MS)
  }

  return { toasts, show, dismiss, error: (text: string) => show('error', text), info: (text: string) => show('info', text) }
})
