// From a wait(2) status to the init's exit code, the way shells and tini do:
// the program's own code, or 128+N when signal N killed it; then -e remapping.

export type ProgramEnd = { code: number; signal?: undefined } | { code?: undefined; signal: number }

/** Decodes a wait status (WIFEXITED / WIFSIGNALED, see wait(2)). */
export function decodeWaitStatus(status: number): ProgramEnd {
  const sig = status & 0x7f
  if (sig === 0) return { code: (status >> 8) & 0xff }
  return { signal: sig }
}

/** 128+N for a signal death (tini, bash); remapped codes (-e) become 0. */
export function exitCodeFor(end: ProgramEnd, remapToZero: ReadonlySet<number> = new Set()): number {
  const code = end.signal !== undefined ? 128 + end.signal : end.code
  return remapToZero.has(code) ? 0 : code
}

/** Exit codes of the init itself, not of the program. */
export const EXIT_USAGE = 1 // tini exits 1 on bad usage too
export const EXIT_NOT_EXECUTABLE = 126
export const EXIT_NOT_FOUND = 127
