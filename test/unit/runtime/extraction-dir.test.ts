// Where the embedded addon may be extracted: extractionDirs' order, and
// unsafeDirReason's owner and mode rules, on real directories made here.
import t from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { extractionDirs, unsafeDirReason } from '../../../src/runtime/extraction-dir'

t.test('extractionDirs: XDG_RUNTIME_DIR, /dev/shm, TMPDIR, /tmp, /var/tmp, ~/.cache; absolute only, no duplicates', async (t) => {
  t.same(extractionDirs({ XDG_RUNTIME_DIR: '/run/user/7', TMPDIR: '/scratch/', HOME: '/home/u' }), [
    '/run/user/7',
    '/dev/shm',
    '/scratch',
    '/tmp',
    '/var/tmp',
    '/home/u/.cache',
  ])
  t.same(extractionDirs({ XDG_RUNTIME_DIR: 'relative', TMPDIR: '/tmp/', HOME: '' }), ['/dev/shm', '/tmp', '/var/tmp'], 'a relative path is skipped, /tmp/ is /tmp')
  t.same(extractionDirs({}), ['/dev/shm', '/tmp', '/var/tmp'])
})

t.test('unsafeDirReason: the mode rules', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tini-ts-loader-'))
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }))
  const uid = process.geteuid?.() ?? 0
  // The base must itself be safe for the rest to mean anything (a 0700 dir
  // under a sticky /tmp owned by root).
  fs.chmodSync(base, 0o700)
  t.equal(unsafeDirReason(base, uid), undefined, 'ours, 0700: safe')

  const open = path.join(base, 'open')
  fs.mkdirSync(open)
  fs.chmodSync(open, 0o777)
  t.match(unsafeDirReason(open, uid), /open is writable by group or others \(mode 777, not sticky\)/)
  fs.chmodSync(open, 0o1777)
  t.equal(unsafeDirReason(open, uid), undefined, 'sticky: others cannot rename our entries')
  fs.chmodSync(open, 0o775)
  t.match(unsafeDirReason(open, uid), /mode 775/, 'group-writable is refused too')

  const below = path.join(open, 'below')
  fs.mkdirSync(below)
  fs.chmodSync(below, 0o700)
  t.match(unsafeDirReason(below, uid), new RegExp(`^${open} is writable`), 'a directory above that others can write decides')

  const link = path.join(base, 'link')
  fs.symlinkSync(below, link)
  t.match(unsafeDirReason(link, uid), new RegExp(`^${open} is writable`), 'a symlink is judged by its real path')

  const file = path.join(base, 'file')
  fs.writeFileSync(file, '')
  t.match(unsafeDirReason(file, uid), /file is not a directory/)
  t.match(unsafeDirReason(path.join(base, 'missing'), uid), /ENOENT/)
})

const euid = process.geteuid?.() ?? 0

t.test('unsafeDirReason: our directory, as seen by another uid, is refused', { skip: euid === 0 && 'as root every directory of ours is root\'s' }, async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tini-ts-loader-'))
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }))
  t.match(unsafeDirReason(base, euid + 1), new RegExp(`${base} is owned by uid ${euid}, not by root or uid ${euid + 1}`))
  t.equal(unsafeDirReason(base, euid), undefined)
})

t.test('unsafeDirReason: another user\'s directory is refused', { skip: euid !== 0 && 'making a directory owned by another user needs root' }, async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tini-ts-loader-'))
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }))
  const other = path.join(base, 'other')
  fs.mkdirSync(other, { mode: 0o700 })
  fs.chownSync(other, 12345, 12345)
  t.match(unsafeDirReason(other, 0), /other is owned by uid 12345, not by root or uid 0: its owner could swap the file/)
  t.equal(unsafeDirReason(other, 12345), undefined, 'its owner may use it')
  const inner = path.join(other, 'inner')
  fs.mkdirSync(inner, { mode: 0o700 })
  t.match(unsafeDirReason(inner, 0), /other is owned by uid 12345/, 'nor anything below it')
  t.equal(unsafeDirReason(base, 12345), undefined, 'root-owned directories are fine for anyone')
})
