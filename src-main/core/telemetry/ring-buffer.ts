/** A fixed-capacity FIFO: pushing past capacity drops the oldest entries. */
export class RingBuffer<T> {
  private items: (T | undefined)[]
  private start = 0
  private count = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('RingBuffer capacity must be a positive integer')
    this.items = new Array(capacity)
  }

  get size(): number {
    return this.count
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity
    this.items[end] = item
    if (this.count < this.capacity) this.count++
    else this.start = (this.start + 1) % this.capacity
  }

  /** The newest `limit` items that match, oldest first. */
  tail(limit: number, match: (item: T) => boolean = () => true): T[] {
    const out: T[] = []
    for (let i = this.count - 1; i >= 0 && out.length < limit; i--) {
      const item = this.items[(this.start + i) % this.capacity] as T
      if (match(item)) out.push(item)
    }
    return out.reverse()
  }

  clear(): void {
    this.items = new Array(this.capacity)
    this.start = 0
    this.count = 0
  }
}
