// Running the peers' own test suites (tini, dumb-init) against tini-ts.
// Their sources come from Debian's source packages (fetch-sources.sh); none
// of their code is in this repository.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, symlinkSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { REPO } from '../helpers/tini'

export const PEERS = join(REPO, 'test', 'peers')

export interface Sources {
  tini: string
  dumbInit: string
}

/** The unpacked sources, or a reason why not (the tests then skip, saying so).
 * TINI_SRC / DUMB_INIT_SRC name checkouts to use instead. */
export function peerSources(): Sources | string {
  if (process.env.TINI_SRC && process.env.DUMB_INIT_SRC) {
    return { tini: resolve(process.env.TINI_SRC), dumbInit: resolve(process.env.DUMB_INIT_SRC) }
  }
  const r = spawnSync('bash', [join(PEERS, 'fetch-sources.sh')], { encoding: 'utf8', timeout: 120_000 })
  const dirs = (r.stdout ?? '').split('\n').filter(Boolean)
  if (r.status !== 0 || dirs.length !== 2) {
    return `peer sources unavailable (set TINI_SRC and DUMB_INIT_SRC, or add a deb-src entry: scripts/ci-install-system.sh): ${(r.stderr ?? '').trim().split('\n').pop()}`
  }
  return { tini: dirs[0] as string, dumbInit: dirs[1] as string }
}

export function missingPython(modules: string[]): string | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' })
  return r.status === 0 ? undefined : `python modules missing (${modules.join(', ')}): run scripts/ci-install-system.sh`
}

/** The tini-ts under test, as an absolute path to an executable. */
export function tiniTsBinary(): string {
  return resolve(REPO, process.env.TINI_TS_BIN || 'dist/tini-ts')
}

/** A scratch directory with `python` (tini's stage_2.py says
 * `#!/usr/bin/env python`) and the given extra links. */
export function scratchBin(links: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-peers-'))
  mkdirSync(join(dir, 'bin'))
  symlinkSync('/usr/bin/python3', join(dir, 'bin', 'python'))
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(dir, name))
  return dir
}

/** Environment for the peers' scripts: Debian's python first (its modules),
 * and no NODE_OPTIONS (tap's loaders would run inside tini-ts). */
export function peerEnv(extra: Record<string, string>, binDirs: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.NODE_OPTIONS
  env.PATH = [...binDirs, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':')
  env.PYTHONUNBUFFERED = '1'
  return env
}

export interface SectionResult {
  suite: string
  section: string
  ok: boolean
  error: string | null
}

/** argv run as PID 1 of a private PID namespace, under test/helpers/reaper.py:
 * the peers' suites leave processes running (dumb-init's print_signals,
 * init wrappers that outlive a failed test); there they are reaped as they
 * exit, killed at the end, and die with the namespace in any case. */
export function inPrivatePidNamespace(argv: string[]): string[] {
  return ['unshare', '--pid', '--fork', '--mount-proc', '/usr/bin/python3', join(REPO, 'test', 'helpers', 'reaper.py'), ...argv]
}

/** python3 ARGS in a private PID namespace, bounded in time and output, as text. */
function python3(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const [file, ...rest] = inPrivatePidNamespace(['/usr/bin/python3', ...args])
  return spawnSync(file as string, rest, { env, cwd, encoding: 'utf8', timeout: 280_000, maxBuffer: 64 * 1024 * 1024 })
}

/** Runs sections.py; returns one result per section and the whole output. */
export function runSections(kind: 'py' | 'sh', suite: string, script: string, env: NodeJS.ProcessEnv, cwd: string): { results: SectionResult[]; output: string } {
  const r = python3([join(PEERS, 'sections.py'), kind, suite, script], env, cwd)
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`
  const results = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('PEER-RESULT '))
    .map((l) => JSON.parse(l.slice('PEER-RESULT '.length)) as SectionResult)
  return { results, output }
}

/** pytest outcomes by test id (PASSED/FAILED/ERROR), from `-rA`. */
export function runPytest(cwd: string, args: string[], env: NodeJS.ProcessEnv): { outcomes: Map<string, string>; output: string } {
  const r = python3(['-m', 'pytest', '-q', '-rA', '-p', 'no:cacheprovider', ...args], env, cwd)
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`
  const outcomes = new Map<string, string>()
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^(PASSED|FAILED|ERROR) (\S+)/.exec(line)
    if (m) outcomes.set(m[2] as string, m[1] as string)
  }
  return { outcomes, output }
}

export function compileSigconf(tiniSrc: string, buildDir: string): void {
  execFileSync('gcc', ['-o', join(buildDir, 'sigconf-test'), join(tiniSrc, 'test', 'sigconf', 'sigconf-test.c')])
}

export { existsSync }
