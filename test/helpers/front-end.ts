// The two executables of a build side by side, for the tests of the native
// front end (dist/tini-ts) and of which path runs: the front end, and the
// Node executable (tini-ts-node) beside it.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { nodeExecutable } from './tini'

export const NODE = nodeExecutable()
export const FRONT = join(dirname(NODE), 'tini-ts')
/** Why these tests cannot run here, or false. */
export const skip = existsSync(FRONT) && existsSync(NODE) ? false : `needs ${FRONT} and ${NODE}: npm run build`
/** Only what a test gives: no NODE_OPTIONS of tap's, no TINI_* of the caller's. */
export const BASE_ENV: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' }

/** A scratch directory for the test file, removed when it ends. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tini-ts-${name}-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Outcome {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs argv to its end (a minute at most) with exactly `env`. */
export function runSync(argv: string[], env: Record<string, string> = BASE_ENV, input?: string): Outcome {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', timeout: 60_000, input })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}
