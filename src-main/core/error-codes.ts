/**
 * The machine-readable codes every failed command carries, with the HTTP status of the headless API
 * and the CLI's exit status for each. The codes are part of the public interface (`--json` errors,
 * the API): keep them stable.
 */
export const ERROR_CODES = {
  /** A command line Aerie cannot read (CLI only). */
  usage: { http: 400, exit: 2 },
  /** An input that fails validation: a bad port, host name, stack field, certificate or config. */
  invalid: { http: 422, exit: 3 },
  /** No such stack, trace or instance. */
  'not-found': { http: 404, exit: 4 },
  /** Something else holds it: a taken port or stack id, a data directory another engine runs. */
  conflict: { http: 409, exit: 5 },
  /** What the command needs is not there: a missing binary, no running engine, an engine starting. */
  unavailable: { http: 503, exit: 6 },
  /** The caller may not: a missing or wrong token, another Origin or Host (headless API). */
  denied: { http: 403, exit: 7 },
  /** Anything else: a process that did not start, a build that failed. */
  failed: { http: 500, exit: 1 },
} as const

export type ErrorCode = keyof typeof ERROR_CODES
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[]

/** An error with its code; other errors are coded by `codeOf`. */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'CodedError'
  }
}

/** The code of any error: its own, or the one its kind implies (a ValidationError is `invalid`). */
export function codeOf(err: unknown): ErrorCode {
  if (err instanceof CodedError) return err.code
  const e = err as { name?: string; code?: unknown } | undefined
  if (typeof e?.code === 'string' && (ERROR_CODE_NAMES as string[]).includes(e.code)) return e.code as ErrorCode
  if (e?.name === 'ValidationError' || e?.name === 'ZodError' || e?.name === 'ProxyConfigError') return 'invalid'
  if (e?.name === 'EngineBusyError') return 'conflict'
  if (e?.code === 'EADDRINUSE') return 'conflict'
  return 'failed'
}
