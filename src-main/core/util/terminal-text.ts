/**
 * Text that a process wrote to its terminal, made fit for a file or a plain pipe. A pty passes
 * everything: colours (SGR, `ESC [ … m`), and cursor and mode sequences (`ESC [ ? 25 h`, `ESC =`,
 * window titles `ESC ] … BEL`) that mean nothing outside a terminal. `keepColors` keeps the SGR
 * sequences only; the rest, and stray control characters (but tab), always go.
 */
// CSI (ESC [ or the 8-bit CSI) with parameters, intermediates and a final byte; OSC/DCS/APC/PM/SOS
// strings up to BEL or ST; any other two- or three-byte ESC sequence (ESC =, ESC ( B, ESC 7).
// eslint-disable-next-line no-control-regex
const SEQUENCE = /(?:\x1b\[|\x9b)([0-?]*)[ -/]*([@-~])|(?:\x1b[\]PX^_]|[\x90\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)|\x1b[ -/]*[0-~]/g
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g

export function plainText(text: string, options: { keepColors?: boolean } = {}): string {
  const keep = options.keepColors === true
  // CONTROL last: it would take the ESC out of a sequence kept above.
  const stripped = text.replace(SEQUENCE, (whole, params: string | undefined, final: string | undefined) => (keep && final === 'm' && /^[\d;:]*$/.test(params ?? '') ? `\u0000${whole.slice(1)}` : ''))
  return stripped.replace(CONTROL, (c) => (c === '\u0000' ? '\x1b' : ''))
}
