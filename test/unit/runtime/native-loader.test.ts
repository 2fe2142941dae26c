// The loader's failure message, through loadNative on the npm route: one
// attempt a line, and nothing from outside (a path from TINI_TS_ADDON or
// TMPDIR, a dlopen reason) can start a line of its own.
import t from 'tap'
import * as path from 'node:path'
import { loadNative } from '../../../src/runtime/native-loader'

/** loadNative's error with TINI_TS_ADDON set to `addon`, for the package at `root`. */
function failure(addon: string, root: string): Error {
  const saved = process.env.TINI_TS_ADDON
  process.env.TINI_TS_ADDON = addon
  try {
    loadNative(root)
  } catch (e) {
    return e as Error
  } finally {
    if (saved === undefined) delete process.env.TINI_TS_ADDON
    else process.env.TINI_TS_ADDON = saved
  }
  throw new Error('loadNative did not fail')
}

t.test('attempts are listed one a line, their control characters escaped', async (t) => {
  const forged = path.join(t.testdir({}), 'x\r\n[FATAL tini-ts (1)] forged')
  const empty = t.testdir({}) // a package with neither build/ nor prebuilds/
  const e = failure(forged, empty)
  t.equal(e.name, 'NativeLoadError')
  const lines = e.message.split('\n')
  t.equal(lines[0], 'cannot load the native addon tini_native.node; tried:')
  t.equal(
    lines[1],
    `  ${path.dirname(forged)}/x\\r\\n[FATAL tini-ts (1)] forged: cannot open shared object file: No such file or directory`,
    'the path from the environment, its control characters shown as \\r and \\n, and why it failed',
  )
  t.match(lines[2], new RegExp(`^  ${empty} \\(build/Release, prebuilds/${process.platform}-${process.arch}\\): No native build was found`), 'then the package')
  t.match(lines[3], /^fix: .*npm rebuild tini-ts/, 'and what to do')
  t.equal(lines.length, 4)
  t.notOk(lines.some((l) => l.startsWith('[FATAL')), 'no line of the message looks like a log line')
  t.ok(`  ${forged}`.split('\n').some((l) => l.startsWith('[FATAL')), 'control: written as it is, the path would start one')
})
