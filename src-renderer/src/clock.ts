import { ref } from 'vue'

/** One shared ticking "now" for uptimes and countdowns: one timer for the whole UI. */
const CLOCK_TICK_MS = 1_000
export const now = ref(Date.now())
setInterval(() => (now.value = Date.now()), CLOCK_TICK_MS)

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  return `${h}h ${m % 60}m`
}

/** A log line's or request's time of day, to the millisecond: 14:03:07.412. */
export function formatClock(time: number): string {
  const d = new Date(time)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}
