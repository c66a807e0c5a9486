import type { HeaderRules } from '../stacks/stack-schema.js'

/** An RFC 9110 token: what a method or a header name must be. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** A character no RFC 9110 field value may hold (CR, LF, NUL and other controls): such a value would split the message. */
export const BAD_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/** What happens to one header name: set to a value, or removed. */
export type HeaderEffect = { name: string; value: string } | { name: string; remove: true }

/** The final effect per header name of one side, request or response (an array: plans cross a process boundary as JSON). */
export type HeaderEffects = HeaderEffect[]

/**
 * The headers a route applies, as one final effect per name: the stack's rules, then the route's,
 * each level setting first and removing after. Every engine renders these effects, so the order
 * of directives in a config language never changes the outcome.
 */
export function headerEffects(levels: readonly HeaderRules[], side: 'request' | 'response'): HeaderEffects {
  const effects = new Map<string, HeaderEffect>()
  for (const rules of levels) {
    for (const [name, value] of Object.entries(rules[side].set)) effects.set(name.toLowerCase(), { name, value })
    for (const name of rules[side].remove) effects.set(name.toLowerCase(), { name, remove: true })
  }
  return [...effects.values()]
}

/** A route's effects on both sides, from the stack's rules and its own. */
export function routeHeaderEffects(stack: HeaderRules, route: HeaderRules): { request: HeaderEffects; response: HeaderEffects } {
  return { request: headerEffects([stack, route], 'request'), response: headerEffects([stack, route], 'response') }
}

/** Applies effects to a header object whose keys are lowercase (Node's). */
export function applyHeaderEffects(headers: Record<string, unknown>, effects: HeaderEffects): void {
  for (const effect of effects) {
    const key = effect.name.toLowerCase()
    if ('remove' in effect) delete headers[key]
    else headers[key] = effect.value
  }
}

export const isRemoval = (effect: HeaderEffect): effect is { name: string; remove: true } => 'remove' in effect
