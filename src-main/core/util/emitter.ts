/** A private event source with a public subscribe that returns its disposer. */
export class Emitter<T> {
  private listeners = new Set<(value: T) => void>()

  subscribe = (listener: (value: T) => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value)
      } catch (err) {
        console.error('aerie: a listener threw', err)
      }
    }
  }

  clear(): void {
    this.listeners.clear()
  }
}
