/** POSIX process groups: every supervised process leads its own (node-pty starts it with setsid), so -pid reaches its tree. */
export function killProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}
