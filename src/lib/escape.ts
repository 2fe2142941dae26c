// Control characters made visible, for text that reaches a terminal or a
// line-oriented log.

/** One text log line is one line: control characters (C0, DEL, C1) in a
 * message, e.g. an orphan's command name set with prctl(PR_SET_NAME) to
 * "x\n[WARN  tini-ts (1)] ...", would otherwise forge lines or drive the
 * terminal. They are written as \n, \t, \r or \xNN, and a backslash as \\
 * so the escapes stay unambiguous. (JSON lines are escaped by JSON.) */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\\\x00-\x1f\x7f-\x9f]/g, (c) => {
    if (c === '\\') return '\\\\'
    if (c === '\n') return '\\n'
    if (c === '\t') return '\\t'
    if (c === '\r') return '\\r'
    return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')
  })
}
