import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { StackInput, StackView } from '../../../src-main/contract'
import { api } from '../api'
import { useConnectionStore } from './connection'
import { useToastsStore } from './toasts'

/** Stacks as the engine reports them; changed only by engine events and command replies. */
export const useStacksStore = defineStore('stacks', () => {
  const byId = ref<Record<string, StackView>>({})
  const loading = ref(true)
  const loadError = ref<string>()
  /** The action in flight per stack, so its button shows progress and cannot be clicked twice. */
  const pending = ref<Record<string, 'start' | 'stop' | 'restart' | undefined>>({})
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

  async function run(id: string, action: 'start' | 'stop' | 'restart') {
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

  /** The config before the last save, per stack, for Undo. */
  const undoable = ref<Record<string, StackInput | undefined>>({})
  function rememberSave(id: string, before: StackInput | undefined) {
    undoable.value[id] = before
  }
  async function undo(id: string) {
    const before = undoable.value[id]
    if (!before) return
    try {
      apply(await api.stacks.save(before))
      undoable.value[id] = undefined
      toasts.info(`Restored ${before.name} as it was before the last save`)
    } catch (err) {
      toasts.error(`Could not undo: ${(err as Error).message}`)
    }
  }

  api.on('stack:state', apply)
  api.on('stack:deleted', ({ id }) => {
    delete byId.value[id]
  })
  useConnectionStore().onReconnect(load)
  void load()

  async function restartAppServer(id: string, appServer: string) {
    try {
      apply(await api.stacks.restartAppServer(id, appServer))
    } catch (err) {
      toasts.error(`Could not restart ${appServer}: ${(err as Error).message}`)
    }
  }

  async function controlInstance(id: string, instance: string, action: 'stop' | 'start' | 'restart') {
    try {
      apply(await api.stacks.controlInstance(id, instance, action))
    } catch (err) {
      toasts.error(`Could not ${action} ${instance}: ${(err as Error).message}`)
    }
  }

  async function purgeCache(id: string) {
    try {
      toasts.info((await api.stacks.purgeCache(id)).note)
    } catch (err) {
      toasts.error(`Could not purge the cache: ${(err as Error).message}`)
    }
  }

  return {
    purgeCache,
    byId,
    list,
    loading,
    loadError,
    pending,
    load,
    undoable,
    rememberSave,
    undo,
    restartAppServer,
    controlInstance,
    start: (id: string) => run(id, 'start'),
    stop: (id: string) => run(id, 'stop'),
    restart: (id: string) => run(id, 'restart'),
  }
})
