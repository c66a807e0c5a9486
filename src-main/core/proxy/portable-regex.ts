/**
 * The one regular-expression dialect every engine runs the same: JavaScript (built-in proxy),
 * PCRE (nginx, Apache), RE2 (Caddy's Go) and .NET. What some lack is refused with the reason:
 * lookaround, backreferences, named groups, inline flags, atomic groups and possessive
 * quantifiers, Unicode property classes. Returns the number of capturing groups.
 */
export function checkPortableRegex(pattern: string): number {
  let groups = 0
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') {
      const next = pattern[i + 1] ?? ''
      if (/[1-9]/.test(next) || next === 'k') throw new Error('backreferences (\\1, \\k<name>) are not in every engine (Caddy has none)')
      if (next === 'p' || next === 'P') throw new Error('Unicode property classes (\\p{…}) are not in every engine')
      i++
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      continue
    }
    if (c === '[') {
      inClass = true
      if (pattern[i + 1] === ']') i++
      continue
    }
    if (c === '(') {
      if (pattern[i + 1] !== '?') groups++
      else if (pattern[i + 2] !== ':') {
        const what = { '=': 'lookahead', '!': 'lookahead', '<': 'lookbehind or named groups', '>': 'atomic groups', P: 'named groups' }[pattern[i + 2]] ?? 'inline flags'
        throw new Error(`${what} ("(?${pattern[i + 2] ?? ''}") are not in every engine (Caddy's RE2 has no lookaround or atomic groups); use plain groups`)
      }
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && pattern[i + 1] === '+') throw new Error('possessive quantifiers (*+, ++) are not in every engine')
  }
  try {
    new RegExp(pattern)
  } catch (err) {
    throw new Error(`is not a valid regular expression: ${(err as Error).message}`)
  }
  return groups
}

/** A rewrite target's `$1…$9` (the only `$` it may hold), checked against the pattern's groups. */
export function checkRewriteTarget(to: string, groups: number): void {
  for (const m of to.matchAll(/\$(\d?)/g)) {
    if (!m[1]) throw new Error('may hold "$" only as $1…$9 (a group of the pattern)')
    if (Number(m[1]) > groups || m[1] === '0') throw new Error(`names $${m[1]}, but the pattern has ${groups} group(s)`)
  }
  if (/[?{}%"\\\s]/.test(to)) throw new Error('may not hold "?", "{", "}", "%", a quote, a backslash or a space: the request\'s query string is kept as it is, and those mean something else to some engines')
}
