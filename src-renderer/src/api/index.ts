// The only module that touches window.aerie or the WebSocket: stores call the engine through `api`.
import type { AerieBridge, CommandName, CommandRequest, CommandResponse, EventName, EventPayload, StackInput } from '../../../src-main/contract'
import { electronTransport } from './electron-transport'
import type { ConnectionState, Transport } from './transport'
import { wsTransport } from './ws-transport'

declare global {
  interface Window {
    aerie?: AerieBridge
  }
}

/** A failed command, with the fields the engine rejected when it was a validation error. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message)
  }
}

const transport: Transport = window.aerie ? electronTransport(window.aerie) : wsTransport()

async function invoke<C extends CommandName>(name: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
  const reply = await transport.invoke(name, request)
  if (!reply.ok) throw new ApiError(reply.error.message, reply.error.issues)
  return reply.result as CommandResponse<C>
}

export const api = {
  stacks: {
    list: () => invoke('stack:list', {}),
    get: (id: string) => invoke('stack:get', { id }),
    /** `create`: a new stack, refused (never saved over another) when its id is taken. */
    save: (stack: StackInput, options: { create?: boolean } = {}) => invoke('stack:save', { stack, create: options.create ?? false }),
    start: (id: string) => invoke('stack:start', { id }),
    stop: (id: string) => invoke('stack:stop', { id }),
    restart: (id: string) => invoke('stack:restart', { id }),
    remove: (id: string) => invoke('stack:delete', { id }),
    restartAppServer: (stackId: string, appServer: string) => invoke('appserver:restart', { stackId, appServer }),
    controlInstance: (stackId: string, instance: string, action: 'stop' | 'start' | 'restart') => invoke('instance:control', { stackId, instance, action }),
    purgeCache: (stackId: string) => invoke('cache:purge', { stackId }),
    doctor: (id: string) => invoke('stack:doctor', { id }),
  },
  certs: {
    list: () => invoke('cert:list', {}),
    renew: (stackId: string) => invoke('cert:renew', { stackId }),
    remove: (stackId: string) => invoke('cert:delete', { stackId }),
    export: (stackId: string | undefined, format: 'pem' | 'pfx', password?: string) => invoke('cert:export', { stackId, format, password }),
    importPem: (stackId: string, certPem: string, keyPem: string) => invoke('cert:import', { stackId, certPem, keyPem }),
    importPfx: (stackId: string, pfxBase64: string, password: string) => invoke('cert:import', { stackId, pfxBase64, password }),
    setDomains: (domains: string[]) => invoke('cert:set-domains', { domains }),
    trust: (action: 'install' | 'uninstall') => invoke('cert:trust', { action }),
  },
  proxies: { kinds: () => invoke('proxy:kinds', {}) },
  appServers: { detect: (folder: string, profile?: string) => invoke('appserver:detect', { folder, ...(profile ? { profile } : {}) }) },
  engine: { problems: () => invoke('engine:problems', {}) },
  exports: { run: (id: string, to: CommandRequest<'stack:export'>['to'], params?: CommandRequest<'stack:export'>['params']) => invoke('stack:export', { id, to, params }) },
  logs: { tail: (limit: number, options: { stackId?: string; afterSeq?: number } = {}) => invoke('log:tail', { limit, ...options }) },
  traces: {
    list: (limit: number, stackId?: string) => invoke('trace:list', { limit, stackId }),
    replay: (traceId: string, instance?: string) => invoke('trace:replay', { traceId, ...(instance ? { instance } : {}) }),
    timeline: (id: string) => invoke('trace:timeline', { id }),
    appErrors: (stackId?: string) => invoke('trace:app-errors', stackId ? { stackId } : {}),
  },
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    return transport.on(name, listener as (payload: unknown) => void)
  },
  onConnection: (listener: (state: ConnectionState) => void) => transport.onConnection(listener),
}
