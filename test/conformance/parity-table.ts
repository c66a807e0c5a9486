import type { ConformanceCase } from './cases.js'
import { DIFFERENCES } from './differences.js'

export type Results = Record<string, Record<string, string>>

/** docs/parity.md: case × engine, each cell what the engine did, a differing one with its reason. */
export function renderParityTable(cases: ConformanceCase[], engines: { kind: string; label: string }[], results: Results, missing: string[]): string {
  const reference = results.builtin ?? {}
  const cell = (kind: string, id: string) => {
    const value = results[kind]?.[id]
    if (value === undefined) return 'not run'
    const code = '`' + value.replace(/\|/g, '\\|') + '`'
    if (kind === 'builtin' || value === reference[id]) return code
    return `${code} — ${DIFFERENCES[kind]?.[id] ?? '**no reason given**'}`
  }
  const lines = [
    '# Engine parity',
    '',
    'Written by the conformance suite (`test/integration/conformance.test.ts`, cases in `test/conformance/cases.ts`) on its last run: one list of request cases against each engine Aerie runs, on loopback ports, as root in CI. Each cell is what the engine did; a cell that differs from the built-in proxy carries the reason (from `test/conformance/differences.ts`).',
    '',
    `| case | ${engines.map((e) => e.label).join(' | ')} |`,
    `|---|${engines.map(() => '---').join('|')}|`,
    ...cases.map((c) => `| ${c.title} | ${engines.map((e) => cell(e.kind, c.id)).join(' | ')} |`),
    '',
  ]
  if (missing.length) lines.push(`Not run on this machine (binary missing): ${missing.join(', ')}.`, '')
  lines.push('Not in this table: a SignalR-like Kestrel app in Chromium on each engine Aerie runs (test/integration/browser-sticky-hub.test.ts); the IIS and systemd exports, which cannot run here (no IIS; no systemd as the init process).', '')
  return lines.join('\n')
}
