// Start-up: bench/fixtures/startup forks and execs the init, timing fork -> waitpid.
import { run } from './common.mjs'

/** As PID 1 of a new PID namespace: unshare(1), through a user namespace
 * when not root (the floor goes through the same). */
export const asPid1 = (cmd) => ['unshare', ...(process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']), '--pid', '--fork', ...cmd]

/** Start-up: wall and CPU time of cmd (INIT running `true`; the floor: running nothing). */
export function measureStartup(fx, cmd, n, into = [], cpu = undefined) {
  const r = run(fx.startup, [String(n), ...cmd], { timeout: 60000 + n * 11000 })
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line.trim())
    if (m) {
      into.push(Number(m[1]) / 1e6)
      cpu?.push(Number(m[2]) / 1e6)
    }
  }
  if (r.status !== 0) throw new Error(`${r.stderr.trim() || `exit ${r.status ?? r.signal}`}`)
  return into
}

/** Paired start-up: n pairs of cmdA and cmdB back to back (bench/fixtures/startup
 * --pair), alternating which goes first; pushes [aWall, bWall, aCpu, bCpu] (ms). */
export function measurePairs(fx, cmdA, cmdB, n, into = []) {
  const r = run(fx.startup, ['--pair', String(n), ...cmdA, '::', ...cmdB], { timeout: 60000 + n * 22000 })
  const a = [], b = []
  for (const line of r.stdout.split('\n')) {
    const m = /^([ab]) (\d+) (\d+)$/.exec(line.trim())
    if (m) (m[1] === 'a' ? a : b).push([Number(m[2]) / 1e6, Number(m[3]) / 1e6])
  }
  for (let i = 0; i < Math.min(a.length, b.length); i++) into.push([a[i][0], b[i][0], a[i][1], b[i][1]])
  if (r.status !== 0) throw new Error(`${r.stderr.trim() || `exit ${r.status ?? r.signal}`}`)
  return into
}
