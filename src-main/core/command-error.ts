import type { CommandError } from '../contract.js'
import { codeOf } from './error-codes.js'
import { ValidationError } from './validation-error.js'

/** The wire form of a failed command: its code, the message, and each bad field when it was a validation error. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof ValidationError) return { code: 'invalid', message: err.message, issues: err.issues }
  return { code: codeOf(err), message: err instanceof Error ? err.message : String(err) }
}
