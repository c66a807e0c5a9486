import type { z } from 'zod'

/** An input rejected at a boundary; `issues` name each field and the fix. */
export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`${what} is invalid: ${issues.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ')}`)
    this.name = 'ValidationError'
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('')
}

/** Parses `input` with `schema` or throws a ValidationError that names every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  throw new ValidationError(
    what,
    result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  )
}
