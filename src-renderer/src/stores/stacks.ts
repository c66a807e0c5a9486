import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { StackView } from '../../../src-main/contract'
import { api } from '../api'
import { useConnectionStore } from './connection'
import { useToastsStore } from './toasts'

/** Stacks as the engine reports them; changed only by engine events and command replies. */
export const useStacksStore = defineStore('stacks', () => {
  const byId = ref<Record<string, StackView>>({})
  const loading = ref(true)
  const loadError = ref<string>()
  /** The action in flight per stack, so its button shows progress and cannot be clicked twice. */
  const pending = ref<Record<string, 'start' | 'stop' | undefined>>({})
  const toasts = useToastsStore()

  const list = computed(() => Object.values(byId.value).sort((a, b) => a.stack.name.localeCompare(b.stack.name)))

  function apply(view: StackView) {
    byId.value[view.stack.id] = view
  }

  async function load() {
    try {
      const views = await api.stacks.list()
      byId.value = Object.fromEntries(views.map((v) => [v.stack.id, v]))
      loadError.value = undefined
    } catch (err) {
      loadError.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  async function run(id: string, action: 'start' | 'stop') {
    if (pending.value[id]) return
    pending.value[id] = action
    try {
      apply(await api.stacks[action](id))
    } catch (err) {
      toasts.error(`Could not ${action} ${byId.value[id]?.stack.name ?? id}: ${(err as Error).message}`)
    } finally {
      pending.value[id] = undefined
    }
  }

  api.on('stack:state', apply)
  useConnectionStore().onReconnect(load)
  void load()

  return { byId, list, loading, loadError, pending, load, start: (id: string) => run(id, 'start'), stop: (id: string) => run(id, 'stop') }
})
