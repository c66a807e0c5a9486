import fs from 'node:fs'

/**
 * The built-in proxy's resource limits, in one place (the README's "Limits" table names each).
 * Timeouts that a stack sets (client headers, idle, upstream connect and response) come from its
 * `proxy.timeouts`; these are the fixed ones.
 */

/** HTTP/2 streams one client connection may have open at once (nginx's http2_max_concurrent_streams is 128). */
export const H2_MAX_CONCURRENT_STREAMS = 128
/** Bytes of request headers, HTTP/1 and HTTP/2 alike: Node's default (nginx allows 4 × 8 KiB); more gets 431. */
export const MAX_HEADER_BYTES = 16 * 1024
/** How often Node's HTTP/1 server looks for connections past their header timeout (its default, 30 s, would let a 30 s limit run to 60 s). */
export const HEADER_TIMEOUT_CHECK_MS = 1_000
/** File descriptors kept free for log files, upstream pools and the engine's pipe when the connection limit is derived. */
export const FD_RESERVE = 64
/** At most one "out of file descriptors" / "connection limit" warning per this interval: a flood must not flood the log. */
export const LIMIT_WARNING_INTERVAL_MS = 10_000

/** The process's soft limit on open files (Linux: /proc/self/limits), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined
  } catch {
    return undefined
  }
}

/**
 * Client connections accepted at once: each may hold one upstream connection too, so half of what
 * the file limit leaves after the reserve. Past it a connection is answered 503 and closed.
 */
export function maxClientConnections(fileLimit = openFileLimit()): number {
  if (fileLimit === undefined) return 10_000
  return Math.max(16, Math.floor((fileLimit - FD_RESERVE) / 2))
}

/** Errors that mean this process has no file descriptor left. */
export const OUT_OF_FDS = new Set(['EMFILE', 'ENFILE'])
