// Finds and loads the addon, listing every path it tried when none works
// (the node-pty loader pattern). process.dlopen rather than require: inside a
// single-executable application require() loads built-ins only.
//
// Order:
//  1. a SEA (the executable): tini_native.node beside the executable (dist/
//     ships it there), then the copy embedded as an SEA asset (see
//     extractAndLoad). $TINI_TS_ADDON is not read here: the executable is PID 1
//     of images run as root, and a variable that dlopens any file would let
//     whoever sets the environment run code in it (the hole the build closes
//     for OPENSSL_CONF);
//  2. the npm route (bin/tini-ts on an installed Node): $TINI_TS_ADDON when set
//     (an explicit choice: that Node already obeys NODE_OPTIONS, so the
//     environment controls its code anyway), else node-gyp-build's choice for
//     this package: build/Release (a local compile), else the prebuild in
//     prebuilds/<platform>-<arch>/ that fits this machine (libc included).
//
// Extracting the embedded copy is where another user can interfere: the addon
// runs as the init's user (root, as PID 1), and whoever can rename entries in
// the directory it goes through can swap the file between the check and the
// dlopen (an inotify racer owning $XDG_RUNTIME_DIR won 7 of 10 tries against
// "write, re-read by name, dlopen by name"). So:
//  - a candidate directory is used only when its real path, from / down, is
//    owned by root or by us and writable by nobody else unless sticky
//    (path_resolution(7): only then can nobody else rename what is below it);
//    a FUSE mount (contents served by a user process) is refused too;
//  - the copy is a nameless file (open(2) O_TMPFILE) where the file system has
//    them, else a file in a fresh 0700 directory, unlinked at once;
//  - the hash is taken of the bytes read back through the descriptor we hold,
//    and dlopen opens /proc/self/fd/N: the same inode, which nobody else can
//    open (no name; fstat: ours, not writable by group/other), so what is
//    checked is what is loaded. Without /proc, the private file is loaded by
//    its name, which is safe because every directory above it is ours or root's.
// dlopen needs a mount without noexec: Docker mounts /dev/shm noexec and hardened
// images /tmp too, so every candidate directory is tried in turn.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { escapeControl } from '../lib/escape'
import { euid, extractionDirs, unsafeDirReason } from './extraction-dir'
import type { NativeBinding } from './native'

const ADDON_FILE = 'tini_native.node'

// Replaced by scripts/build-sea.mjs (esbuild define) with the sha256 of the
// addon it embeds; undeclared (typeof 'undefined') when run from lib/ by tsc.
declare const __TINI_NATIVE_SHA256__: string | undefined
const EMBEDDED_SHA256: string = typeof __TINI_NATIVE_SHA256__ === 'string' ? __TINI_NATIVE_SHA256__ : ''

// open(2): O_TMPFILE is __O_TMPFILE | O_DIRECTORY; __O_TMPFILE is 020000000 on
// x86-64 and arm64 alike, O_DIRECTORY differs (fs.constants has the right one).
const O_TMPFILE = 0o20000000 | fs.constants.O_DIRECTORY

interface Attempt {
  where: string
  why: string
}

type Route = 'sea' | 'npm'

function fixHint(route: Route, root: string): string {
  if (route === 'sea') {
    return (
      `fix: copy ${ADDON_FILE} beside the tini-ts executable (${path.join(path.dirname(process.execPath), ADDON_FILE)})` +
      `, or give TMPDIR a directory of yours (or root's) on a mount without noexec`
    )
  }
  return (
    `fix: this package ships prebuilt addons for linux-x64 and linux-arm64 (glibc) only; ` +
    `for ${process.platform}-${process.arch} build it from source: \`npm rebuild tini-ts\` ` +
    `(needs python3, make and a C compiler; writes ${path.join(root, 'build', 'Release', ADDON_FILE)}), ` +
    `or point TINI_TS_ADDON at a built ${ADDON_FILE}`
  )
}

class NativeLoadError extends Error {
  constructor(
    readonly tried: Attempt[],
    route: Route,
    root: string,
  ) {
    super(
      `cannot load the native addon ${ADDON_FILE}; tried:\n` +
        tried.map((t) => `  ${escapeControl(t.where)}: ${escapeControl(t.why)}`).join('\n') +
        `\n${fixHint(route, root)}`,
    )
    this.name = 'NativeLoadError'
  }
}

function dlopen(file: string): NativeBinding {
  const mod = { exports: {} as NativeBinding }
  process.dlopen(mod, file)
  return mod.exports
}

function reason(e: unknown, file?: string): string {
  const err = e as NodeJS.ErrnoException
  let msg = err && typeof err.message === 'string' ? err.message : String(e)
  // dlopen's message repeats the path: "<file>: failed to map segment from
  // shared object". Dropped before the first line is taken: the path may
  // hold a newline.
  if (file && msg.startsWith(`${file}: `)) msg = msg.slice(file.length + 2)
  msg = msg.split('\n')[0]
  if (msg.includes('failed to map segment') && !msg.includes('(noexec mount?)')) msg += ' (noexec mount?)'
  const code = err && typeof err.code === 'string' && !err.code.startsWith('ERR_') ? err.code : ''
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg
}

interface SeaModule {
  isSea(): boolean
  getRawAsset(key: string): ArrayBuffer
}

function seaModule(): SeaModule | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as SeaModule
    return sea.isSea() ? sea : undefined
  } catch {
    return undefined // Node without node:sea
  }
}

function sha256(data: Uint8Array): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto')
  return createHash('sha256').update(data).digest('hex')
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, off)
}

function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size)
  let off = 0
  while (off < size) {
    const n = fs.readSync(fd, buf, off, size - off, off)
    if (n === 0) break
    off += n
  }
  return buf.subarray(0, off)
}

/** /proc/self/fd/N when it reaches the very inode `st` describes (false without /proc). */
function procFdPath(fd: number, st: fs.Stats): string | undefined {
  const p = `/proc/self/fd/${fd}`
  try {
    const via = fs.statSync(p)
    return via.dev === st.dev && via.ino === st.ino ? p : undefined
  } catch {
    return undefined
  }
}

interface Extracted {
  fd: number
  /** the private file's name and directory (named fallback only), removed afterwards */
  file?: string
  dir?: string
}

/** A file of ours holding `data` under `dir`: nameless if the file system allows it. */
function createCopy(dir: string, data: Uint8Array, haveProc: boolean): Extracted {
  if (haveProc) {
    try {
      const fd = fs.openSync(dir, O_TMPFILE | fs.constants.O_RDWR, 0o700)
      writeAll(fd, data)
      return { fd }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      // no O_TMPFILE here (overlayfs before Linux 6.6, old kernels: EISDIR)
      if (code !== 'EOPNOTSUPP' && code !== 'EISDIR' && code !== 'EINVAL' && code !== 'ENOTSUP') throw e
    }
  }
  const priv = fs.mkdtempSync(path.join(dir, 'tini-ts-')) // mode 0700
  const file = path.join(priv, ADDON_FILE)
  let fd: number
  try {
    const dst = fs.lstatSync(priv)
    if (!dst.isDirectory() || dst.uid !== euid() || (dst.mode & 0o077) !== 0) throw new Error(`${priv} is not a private directory of ours`)
    const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants
    fd = fs.openSync(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o700)
  } catch (e) {
    fs.rmSync(priv, { recursive: true, force: true })
    throw e
  }
  try {
    writeAll(fd, data)
  } catch (e) {
    fs.closeSync(fd)
    fs.rmSync(priv, { recursive: true, force: true })
    throw e
  }
  return { fd, file, dir: priv }
}

/** Extracts the embedded addon under `base`, checks the copy through its descriptor, loads that. */
function extractAndLoad(base: string, data: Uint8Array): NativeBinding {
  const unsafe = unsafeDirReason(base)
  if (unsafe) throw new Error(`not used: ${unsafe}`)
  const real = fs.realpathSync(base)
  const haveProc = fs.existsSync('/proc/self/fd')
  const copy = createCopy(real, data, haveProc)
  try {
    const st = fs.fstatSync(copy.fd)
    if (!st.isFile() || st.uid !== euid() || st.mode & 0o022 || st.nlink > 1) {
      throw new Error(`the extracted copy is not a private file of ours (uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}, ${st.nlink} links)`)
    }
    const got = sha256(readAll(copy.fd, data.length + 1))
    if (got !== EMBEDDED_SHA256) throw new Error(`content check failed: sha256 ${got} is not ${EMBEDDED_SHA256}`)
    const viaFd = procFdPath(copy.fd, st)
    if (viaFd && copy.file) fs.rmSync(copy.file, { force: true }) // no name left to swap
    const target = viaFd ?? copy.file
    if (!target) throw new Error('/proc/self/fd is needed to load a nameless copy')
    try {
      return dlopen(target)
    } catch (e) {
      throw new Error(reason(e, target), { cause: e })
    }
  } finally {
    // the mapping outlives the descriptor and the name
    fs.closeSync(copy.fd)
    if (copy.dir) fs.rmSync(copy.dir, { recursive: true, force: true })
  }
}

function fromSeaAsset(sea: SeaModule, tried: Attempt[]): NativeBinding | undefined {
  let data: Uint8Array
  try {
    data = new Uint8Array(sea.getRawAsset(ADDON_FILE))
  } catch (e) {
    tried.push({ where: `SEA asset ${ADDON_FILE}`, why: `not embedded (${reason(e)})` })
    return undefined
  }
  if (!EMBEDDED_SHA256) {
    tried.push({ where: `SEA asset ${ADDON_FILE}`, why: 'no sha256 was embedded at build time to check it against' })
    return undefined
  }
  // the asset lives in our own memory: check it before writing it anywhere
  if (sha256(data) !== EMBEDDED_SHA256) {
    tried.push({ where: `SEA asset ${ADDON_FILE}`, why: 'does not match the sha256 embedded at build time' })
    return undefined
  }
  for (const base of extractionDirs()) {
    try {
      const b = extractAndLoad(base, data)
      return b
    } catch (e) {
      tried.push({ where: `${base} (extracted copy)`, why: reason(e) })
    }
  }
  return undefined
}

/** The npm route: the file node-gyp-build picks for the package at `root` (build/ first, then prebuilds/). */
function fromPackage(root: string, tried: Attempt[], tryFile: (f: string) => NativeBinding | undefined): NativeBinding | undefined {
  let file: string
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ngb = require('node-gyp-build') as { resolve(dir: string): string }
    file = ngb.resolve(root)
  } catch (e) {
    tried.push({ where: `${root} (build/Release, prebuilds/${process.platform}-${process.arch})`, why: reason(e) })
    return undefined
  }
  return tryFile(file)
}

/** The package this module belongs to (lib/runtime/ or src/runtime/ in it). */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..')

/** Loads the addon, or throws a NativeLoadError listing every attempt. On
 * the npm route `root` is the package whose build/ and prebuilds/ are
 * searched: this one, unless a test points it at another. */
export function loadNative(root: string = PACKAGE_ROOT): NativeBinding {
  const tried: Attempt[] = []
  const tryFile = (file: string): NativeBinding | undefined => {
    try {
      const b = dlopen(file)
      return b
    } catch (e) {
      tried.push({ where: file, why: reason(e, file) })
      return undefined
    }
  }
  const sea = seaModule()
  if (!sea) {
    const override = process.env.TINI_TS_ADDON
    const b = (override ? tryFile(override) : undefined) ?? fromPackage(root, tried, tryFile)
    if (b) return b
    throw new NativeLoadError(tried, 'npm', root)
  }
  const beside = path.join(path.dirname(process.execPath), ADDON_FILE)
  if (fs.existsSync(beside)) {
    const b = tryFile(beside)
    if (b) return b
  } else {
    tried.push({ where: beside, why: 'not present' })
  }
  const b = fromSeaAsset(sea, tried)
  if (b) return b
  throw new NativeLoadError(tried, 'sea', root)
}
