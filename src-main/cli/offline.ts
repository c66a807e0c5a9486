import type { LogLine, StackView } from '../contract.js'
import { dataLayout } from '../core/data-layout.js'
import { StackStore } from '../core/stacks/stack-store.js'
import { stackUrls } from '../core/stacks/stack-urls.js'
import { readLogTail } from '../core/telemetry/log-files.js'
import { CodedError } from '../core/error-codes.js'

/**
 * What read-only commands (`list`, `status`, `logs`) show when no engine runs: read straight
 * from the data directory, which they never create or change; no engine starts, nothing is reaped.
 */
export async function offlineStackViews(dataDir: string): Promise<StackView[]> {
  const store = new StackStore(dataDir)
  const { stacks } = await store.list()
  const linked = await store.listLinked()
  const views: StackView[] = [
    ...stacks.map((stack) => ({ stack, state: 'stopped' as const, urls: stackUrls(stack), processes: [] })),
    ...linked.stacks.map(({ stack, file }) => ({ stack, state: 'stopped' as const, urls: stackUrls(stack), processes: [], source: file })),
  ]
  return views.sort((a, b) => a.stack.name.localeCompare(b.stack.name))
}

export async function offlineStackView(dataDir: string, id: string): Promise<StackView> {
  const view = (await offlineStackViews(dataDir)).find((v) => v.stack.id === id)
  if (!view) throw new CodedError('not-found', `no stack "${id}" (see \`aerie list\`)`)
  return view
}

export function offlineLogTail(dataDir: string, stackId: string | undefined, limit: number): Promise<LogLine[]> {
  return readLogTail(dataLayout(dataDir).logsDir, stackId, limit)
}
