/** Collects items and hands them over in one batch per interval, so a burst becomes a few events. */
export class Batcher<T> {
  private pending: T[] = []
  private timer?: NodeJS.Timeout

  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (batch: T[]) => void,
  ) {}

  add(item: T): void {
    this.pending.push(item)
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs)
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (!this.pending.length) return
    const batch = this.pending
    this.pending = []
    this.deliver(batch)
  }
}
