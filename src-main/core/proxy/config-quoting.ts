/**
 * One quoting helper per config language: every value from a stack (paths, names) goes through
 * the one of its language, so no string can change a generated config's structure. A value that
 * a language cannot hold safely is refused with what to change.
 */

/** Control characters end a line or a token in every config language here: no path needs them. */
const CONTROL = /[\u0000-\u001f\u007f]/

function refuse(language: string, value: string, why: string): never {
  throw new Error(`${language} cannot take ${JSON.stringify(value)} in its config: ${why}; rename it or choose another folder`)
}

const PLAIN = /^[A-Za-z0-9_\/.\-:~+@,=]+$/

/** nginx: a double-quoted string with \" and \\; `$` would still start a variable there, and nginx 1.22 has no escape for it. */
export function nginxQuote(value: string): string {
  if (CONTROL.test(value)) refuse('nginx', value, 'it contains a line break or control character')
  if (value.includes('$')) refuse('nginx', value, 'it contains "$", which nginx reads as a variable even inside quotes')
  // A plain path stays bare, so that a config reads as nginx's own documentation writes it.
  if (PLAIN.test(value)) return value
  return `"${value.replace(/["\\]/g, '\\$&')}"`
}

/** Apache httpd: a double-quoted argument with \" and \\; `${` would be read as a Define. */
export function apacheQuote(value: string): string {
  if (CONTROL.test(value)) refuse('Apache httpd', value, 'it contains a line break or control character')
  if (value.includes('${')) refuse('Apache httpd', value, 'it contains "${", which Apache reads as a variable')
  return `"${value.replace(/["\\]/g, '\\$&')}"`
}

/** Caddyfile: a double-quoted token with \" and \\, and braces escaped so that they are not placeholders. */
export function caddyQuote(value: string): string {
  if (CONTROL.test(value)) refuse('Caddy', value, 'it contains a line break or control character')
  return `"${value.replace(/["\\{}]/g, '\\$&')}"`
}

/**
 * A rewrite's regular expression or target, quoted so that each server reads it as written:
 * nginx unescapes \\ in quotes (so backslashes are doubled), Apache and Caddy only \" (so they
 * are not). A target's $1 is the server's own capture syntax; Caddy's {re.…} placeholders are
 * written by Aerie (the schema allows no brace, quote or backslash in a target).
 */
export function nginxRegex(value: string): string {
  if (CONTROL.test(value)) refuse('nginx', value, 'it contains a line break or control character')
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

export function apacheRegex(value: string): string {
  if (CONTROL.test(value)) refuse('Apache httpd', value, 'it contains a line break or control character')
  if (value.includes('${')) refuse('Apache httpd', value, 'it contains "${", which Apache reads as a variable')
  return `"${value.replaceAll('"', '\\"')}"`
}

export function caddyRegex(value: string): string {
  if (CONTROL.test(value)) refuse('Caddy', value, 'it contains a line break or control character')
  return `"${value.replaceAll('"', '\\"')}"`
}

/** systemd: one word of ExecStart= (or the whole of an Environment= assignment), quoted when it needs it; `%` and `$` are doubled so that neither is expanded. */
export function systemdWord(value: string, expandsVariables = true): string {
  if (/[\u0000\r\n]/.test(value)) refuse('systemd', value, 'it contains a line break')
  const escaped = value.replace(/%/g, '%%').replace(expandsVariables ? /\$/g : /$^/, '$$$$')
  return /^[A-Za-z0-9_\/.\-:=,@+]+$/.test(escaped) ? escaped : `"${escaped.replace(/["\\]/g, '\\$&')}"`
}
