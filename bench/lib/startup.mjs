// Start-up: bench/fixtures/startup forks and execs the init, timing fork -> waitpid.
import { run } from './common.mjs'

/** Start-up: wall time of INIT running `true` (the floor: running nothing). */
export function measureStartup(fx, c, n, into = [], cpu = undefined) {
  const r = run(fx.startup, [String(n), ...c.startup], { timeout: 60000 + n * 11000 })
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
