/** Hard limit for a clean shutdown on a signal; past it the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 20_000

/**
 * Runs `cleanup` once on SIGINT/SIGTERM/SIGHUP, then exits. A second signal during cleanup
 * is ignored (cleanup is already stopping children; exiting early would orphan them).
 */
export function onShutdownSignal(cleanup: (signal: string) => Promise<void>): void {
  let shuttingDown = false
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) return
    shuttingDown = true
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref()
    cleanup(signal).then(
      () => process.exit(0),
      (err) => {
        console.error(`aerie: shutdown failed: ${(err as Error).message}`)
        process.exit(1)
      },
    )
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, handler)
}
