import { commandSchemas, CommandErrorSchema, type CommandError, type CommandName, type CommandRequest, type CommandResponse, type EngineApi } from '../contract.js'
import type { ReachableEngineLock } from '../core/engine-lock.js'
import { INVOKE_PATH } from '../server/wire.js'

/** Thrown when a running engine answered a command with an error: its code, message and the fields at fault. */
export class RemoteCommandError extends Error {
  constructor(readonly error: CommandError) {
    super(error.message)
    this.name = 'RemoteCommandError'
  }
}

/** The engine of a running Aerie (app or `aerie serve`), reached over its loopback API. */
export class RemoteEngine implements EngineApi {
  constructor(private readonly lock: ReachableEngineLock) {}

  get description(): string {
    return `the Aerie engine (${this.lock.face}, pid ${this.lock.pid}, port ${this.lock.port})`
  }

  async invoke<C extends CommandName>(name: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
    const res = await fetch(`http://127.0.0.1:${this.lock.port}${INVOKE_PATH}${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.lock.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    })
    const body = (await res.json()) as { ok: boolean; result?: unknown; error?: unknown }
    if (!body.ok) {
      const error = CommandErrorSchema.safeParse(body.error)
      throw new RemoteCommandError(error.success ? error.data : { code: 'failed', message: `engine answered ${res.status}` })
    }
    return commandSchemas[name].response.parse(body.result) as CommandResponse<C>
  }

  on(): () => void {
    throw new Error('events from a running engine are not available in this CLI command')
  }
}
