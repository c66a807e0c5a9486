import { closest } from 'fastest-levenshtein'
import type { z } from 'zod'
import { formatPath, ValidationError } from '../validation-error.js'
import { StackSchema } from './stack-schema.js'

/** Keys of a user's own start with `x-` (kept, never read); `$schema` is for editors. */
const OWN_KEY = /^(x-|\$schema$)/

export interface UnknownKey {
  /** Where the key is, the key itself last. */
  path: (string | number)[]
  message: string
}

type AnySchema = z.core.$ZodType

function unwrap(schema: AnySchema): AnySchema {
  let s = schema
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema }
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) s = def.innerType
    else if (def.type === 'pipe' && def.in) s = def.in
    else return s
  }
}

/**
 * Every key in `value` that the stack schema does not know (the schema would drop it without a
 * word: `"instnaces": 2` would start one instance), with the nearest key it knows there.
 */
export function unknownKeys(value: unknown, schema: AnySchema = StackSchema, path: (string | number)[] = []): UnknownKey[] {
  const s = unwrap(schema)
  const def = s._zod.def as { type: string; shape?: Record<string, AnySchema>; element?: AnySchema }
  if (def.type === 'object' && def.shape && value && typeof value === 'object' && !Array.isArray(value)) {
    const known = Object.keys(def.shape)
    return Object.entries(value).flatMap(([key, child]) => {
      if (key in def.shape!) return unknownKeys(child, def.shape![key], [...path, key])
      if (OWN_KEY.test(key)) return []
      return [{ path: [...path, key], message: `is not a key Aerie knows; did you mean "${closest(key, known)}"? (a key of your own must start with "x-")` }]
    })
  }
  if (def.type === 'array' && def.element && Array.isArray(value)) return value.flatMap((item, i) => unknownKeys(item, def.element!, [...path, i]))
  return []
}

/** A stack from untyped input: the schema's errors and every unknown key, all named; `what` says whose input it is. */
export function parseStack(input: unknown, what: string): z.infer<typeof StackSchema> {
  const unknown = unknownKeys(input)
  const result = StackSchema.safeParse(input)
  if (result.success && !unknown.length) return result.data
  throw new ValidationError(what, [...unknown, ...(result.success ? [] : result.error.issues)].map((i) => ({ path: formatPath(i.path as PropertyKey[]), message: i.message })))
}
