// DURATION values of --timeout and --grace: `500ms`, `1.5s`, `2m`, or a bare
// number of seconds. Anything else is refused at start.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m)?$/.exec(text.trim())
  if (!m) return undefined
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']
  // Past 2^53 ms (285,000 years) milliseconds are no longer exact integers:
  // refuse rather than round to something else.
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined
}

export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}
