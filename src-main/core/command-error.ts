import type { CommandError } from '../contract.js'
import { ValidationError } from './validation-error.js'

/** The wire form of a failed command: the message, and each bad field when it was a validation error. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof ValidationError) return { message: err.message, issues: err.issues }
  return { message: err instanceof Error ? err.message : String(err) }
}
