// Where the embedded addon may be extracted, and whether a directory is safe
// for it: the addon runs as the init's user (root, as PID 1), so a directory
// where another user can rename entries would let them swap the file between
// the check and the dlopen (src/runtime/native-loader.ts says how the copy is
// made and loaded).
import * as fs from 'node:fs'
import * as path from 'node:path'

const FUSE_SUPER_MAGIC = 0x65735546 // statfs(2)

/** The first line of an fs error ("ENOENT: no such file or directory, lstat '/x'"). */
function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]
}

/** Directories to extract the embedded addon into, in order, without duplicates. */
export function extractionDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [
    env.XDG_RUNTIME_DIR,
    '/dev/shm',
    env.TMPDIR,
    '/tmp',
    '/var/tmp',
    env.HOME ? path.join(env.HOME, '.cache') : undefined,
  ]
  const seen = new Set<string>()
  const out: string[] = []
  for (const d of list) {
    if (!d || !path.isAbsolute(d)) continue
    const r = path.resolve(d)
    if (!seen.has(r)) {
      seen.add(r)
      out.push(r)
    }
  }
  return out
}

/** Our effective uid: the owner an extracted copy must have. */
export function euid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0
}

/**
 * Why `dir` is not safe to extract into, or undefined when it is: its real path
 * and every directory above it must be owned by root or by `uid`, and writable
 * by group/other only with the sticky bit (then others cannot rename our
 * entries: unlink(2), "EPERM ... sticky bit"). Checked with lstat on the
 * resolved path, so no component is a symlink someone could repoint.
 */
export function unsafeDirReason(dir: string, uid: number = euid()): string | undefined {
  let real: string
  try {
    real = fs.realpathSync(dir)
  } catch (e) {
    return message(e)
  }
  const parts = real.split('/').filter(Boolean)
  for (let i = 0; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/')
    let st: fs.Stats
    try {
      st = fs.lstatSync(p)
    } catch (e) {
      return message(e)
    }
    if (!st.isDirectory()) return `${p} is not a directory`
    if (st.uid !== 0 && st.uid !== uid) return `${p} is owned by uid ${st.uid}, not by root or uid ${uid}: its owner could swap the file`
    if (st.mode & 0o022 && !(st.mode & 0o1000)) {
      return `${p} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)}, not sticky): they could swap the file`
    }
  }
  try {
    if (Number(fs.statfsSync(real).type) === FUSE_SUPER_MAGIC) return `${real} is a FUSE mount: a user process serves its contents`
  } catch {
    /* statfs unavailable: the ownership checks above stand */
  }
  return undefined
}
