import type { Trace } from '../../contract.js'
import type { ProxySettings } from './proxy-driver.js'

type Rule = NonNullable<ProxySettings['rewrites']>[number]

/** A stack's rewrites, compiled once: the rule (for the trace) beside its regex. */
export interface CompiledRewrite {
  /** 1-based, as the editor and the stack file list them. */
  rule: number
  match: string
  regex: RegExp
  to: string
  redirect?: number
}

export type AppliedRewrite = NonNullable<Trace['rewrite']>

export function compileRewrites(rules: readonly Rule[] | undefined): CompiledRewrite[] {
  return (rules ?? []).map((r, i) => ({ rule: i + 1, match: r.match, regex: new RegExp(r.match), to: r.to, ...(r.redirect ? { redirect: r.redirect } : {}) }))
}

/**
 * The first rewrite whose pattern matches the request target's path, and the target it makes
 * (the query kept), or undefined when none does. The built-in proxy acts on it; for nginx,
 * Apache and Caddy (which run the same rules, as the conformance suite shows) the engine works
 * it out again from the original target in their access log, for the trace.
 */
export function applyRewrite(rules: readonly CompiledRewrite[], url: string): AppliedRewrite | undefined {
  if (!rules.length) return undefined
  const q = url.indexOf('?')
  const [path, query] = q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)]
  const rule = rules.find((r) => r.regex.test(path))
  if (!rule) return undefined
  return { rule: rule.rule, match: rule.match, target: path.replace(rule.regex, rule.to) + query, ...(rule.redirect ? { redirect: rule.redirect } : {}) }
}
