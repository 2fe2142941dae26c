// From a wait(2) status to the init's exit code, the way shells and tini do:
// the program's own code, or 128+N when signal N killed it; then -e remapping.

type ProgramEnd = { code: number; signal?: undefined } | { code?: undefined; signal: number }

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

/** Exit codes of the init itself, not of the program: every one of them is
 * here, and the front end's table is generated from this module. */
export const EXIT_USAGE = 1 // bad usage: tini exits 1 too
export const EXIT_FAILURE = 1 // set-up failed or no process could be made (tini's 1 for a failed fork)
export const EXIT_TIMEOUT = 124 // --timeout fired (coreutils timeout(1) uses the same)
export const EXIT_NOT_EXECUTABLE = 126
export const EXIT_NOT_FOUND = 127
