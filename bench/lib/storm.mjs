// Orphan storm and burst: the init as PID 1 of a new PID namespace.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { WORK, run } from './common.mjs'

/** Orphan storm with the init as PID 1 of a new PID namespace. */
export function measureStorm(fx, c, orphans, burst, mode = undefined) {
  const outFile = path.join(WORK, `storm-${c.key}-${process.pid}.json`)
  fs.rmSync(outFile, { force: true })
  const userns = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']
  const args = [...userns, '--pid', '--fork', '--mount-proc', ...c.pid1([fx.storm, String(orphans), outFile, ...(burst ? ['burst'] : [])], mode ? c.logModes[mode] : [])]
  const r = run('unshare', args, { timeout: 120000 })
  if (!fs.existsSync(outFile)) throw new Error(`unshare ${c.key}: ${r.stderr.trim() || `exit ${r.status ?? r.signal}`}`)
  const res = JSON.parse(fs.readFileSync(outFile, 'utf8'))
  fs.rmSync(outFile, { force: true })
  if (res.drain_ms < 0) throw new Error(`${c.key}: ${res.left} orphan(s) never reaped`)
  return res
}
