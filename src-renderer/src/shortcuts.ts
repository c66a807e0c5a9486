import type { Router } from 'vue-router'

/** Keyboard shortcuts: Alt+1…4 switch views, "/" focuses the current view's filter, "n" starts a new stack. */
export const SHORTCUTS = [
  { keys: 'Alt+1', what: 'Stacks' },
  { keys: 'Alt+2', what: 'Logs' },
  { keys: 'Alt+3', what: 'Traces' },
  { keys: 'Alt+4', what: 'Certificates' },
  { keys: '/', what: 'Focus the filter' },
  { keys: 'n', what: 'New stack' },
]

const VIEWS = ['/stacks', '/logs', '/traces', '/certificates']

export function installShortcuts(router: Router): () => void {
  const onKey = (e: KeyboardEvent) => {
    const typing = e.target instanceof HTMLElement && (e.target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName))
    if (e.altKey && /^[1-4]$/.test(e.key)) {
      e.preventDefault()
      void router.push(VIEWS[Number(e.key) - 1])
    } else if (!typing && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === '/') {
      // The marker sits on the filter's input, or on a component that wraps it.
      const marked = document.querySelector<HTMLElement>('[data-shortcut="/"]')
      const field = marked?.matches('input') ? marked : marked?.querySelector('input')
      if (field) {
        e.preventDefault()
        field.focus()
      }
    } else if (!typing && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === 'n') {
      void router.push('/stacks/new')
    }
  }
  window.addEventListener('keydown', onKey)
  return () => window.removeEventListener('keydown', onKey)
}
