// One file operation the build scripts share.
import * as fs from 'node:fs'
import * as path from 'node:path'

/** Hard links `src` at `dst` (a copy, with src's mode, where links cannot be
 * made), replacing `dst` atomically: a running dst/ is never half-written. */
export function mirror(src, dst) {
  fs.mkdirSync(path.dirname(dst), { recursive: true })
  const tmp = `${dst}.tmp-${process.pid}`
  fs.rmSync(tmp, { force: true })
  try {
    fs.linkSync(src, tmp)
  } catch {
    fs.copyFileSync(src, tmp)
    fs.chmodSync(tmp, fs.statSync(src).mode & 0o7777)
  }
  fs.renameSync(tmp, dst)
}
