import type { LogLine, StackView } from '../contract.js'
import { plainText } from '../core/util/terminal-text.js'
import { wantsColor } from './color.js'

/** Colours of stdout and stderr, each decided on its own (color.ts); main() sets them from --color/--no-color. */
const colors = { stdout: wantsColor(process.stdout, undefined), stderr: wantsColor(process.stderr, undefined) }
export function setColors(flag: boolean | undefined): void {
  colors.stdout = wantsColor(process.stdout, flag)
  colors.stderr = wantsColor(process.stderr, flag)
}
const paintOn = (stream: 'stdout' | 'stderr', code: number) => (s: string) => (colors[stream] ? `\x1b[${code}m${s}\x1b[0m` : s)
const paint = (code: number) => paintOn('stdout', code)
export const green = paint(32)
export const red = paint(31)
/** An error message for stderr: red when stderr is coloured. */
export const errorText = paintOn('stderr', 31)
export const yellow = paint(33)
export const grey = paint(90)
export const bold = paint(1)

const stateColor: Record<string, (s: string) => string> = { running: green, failed: red, crashed: red, starting: yellow, stopping: yellow }

export function colorState(state: string): string {
  return (stateColor[state] ?? grey)(state)
}

function table(rows: string[][]): string {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => visible(r[i]))))
  return rows.map((r) => r.map((c, i) => c + ' '.repeat(widths[i] - visible(c))).join('  ').trimEnd()).join('\n')
}

export function formatStackList(views: StackView[]): string {
  if (!views.length) return 'No stacks yet.'
  return table([[bold('STACK'), bold('NAME'), bold('STATE'), bold('URL')], ...views.map((v) => [v.stack.id, v.stack.name, colorState(v.state), v.urls.join(' ')])])
}

export function formatStackStatus(v: StackView): string {
  const head = `${bold(v.stack.name)} (${v.stack.id}): ${colorState(v.state)}${v.error ? ` — ${red(v.error)}` : ''}\n  ${v.urls.join('\n  ')}`
  if (!v.processes.length) return head
  const rows = [[bold('PROCESS'), bold('STATE'), bold('PID'), bold('PORT'), bold('READY IN')]]
  for (const p of v.processes) {
    const ready = p.readyAt && p.startedAt ? `${p.readyAt - p.startedAt} ms` : '-'
    rows.push([`${p.appServer}#${p.instance}`, colorState(p.state), String(p.pid ?? '-'), String(p.port), ready])
  }
  return `${head}\n${table(rows).replace(/^/gm, '  ')}`
}

const sourcePalette = [36, 35, 34, 33, 32]
export function formatLogLine(line: LogLine): string {
  const hash = [...line.source].reduce((h, c) => h + c.charCodeAt(0), 0)
  const tag = line.stream === 'system' ? grey(`${line.source} |`) : paint(sourcePalette[hash % sourcePalette.length])(`${line.source} |`)
  // A pty's cursor and mode sequences never reach a pipe or a file; its colours only where colours are on.
  return `${tag} ${plainText(line.text, { keepColors: colors.stdout })}`
}

/**
 * `aerie list --json` and `aerie status --json`: a stable shape for scripts (the README shows it).
 * `processes` only with `withProcesses` (status).
 */
export function stacksJson(views: StackView[], engineRunning: boolean, withProcesses: boolean) {
  return {
    engineRunning,
    stacks: views.map((v) => ({
      id: v.stack.id,
      name: v.stack.name,
      state: v.state,
      urls: v.urls,
      ...(v.error ? { error: v.error } : {}),
      ...(withProcesses
        ? { processes: v.processes.map((p) => ({ instance: `${p.appServer}#${p.instance}`, state: p.state, pid: p.pid ?? null, port: p.port, restarts: p.restarts, cpuPercent: p.cpuPercent ?? null, rssMB: p.rssMB ?? null })) }
        : {}),
    })),
  }
}
