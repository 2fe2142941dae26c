// The portable bundle (dist/tini-ts-portable-linux-<arch>.tar.gz) and the root
// file systems it is tested in:
//  - Alpine 3.20.3's minirootfs (musl, busybox), the tarballs in shared/rootfs/
//    beside the project (sha512 checked against that folder's README, unpacked
//    once into the tier's cache and never modified: runc.ts lays an overlay on it);
//  - a scratch root: nothing but a static busybox (Debian's busybox-static) and
//    the symlinks of the applets the tests call;
//  - the bundle itself, unpacked as a user would (tar -xzf at /), a layer of its own.
import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, copyFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cacheDir } from './rootfs'
import { DIST, REPO } from './runc'

export const PREFIX = '/opt/tini-ts'
export const ENTRY = `${PREFIX}/tini-ts`
export const ALPINE_VERSION = '3.20.3'
/** Node's architecture name -> Alpine's. */
const ALPINE_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' }
export const BUSYBOX = '/bin/busybox'
const APPLETS = ['sh', 'sleep', 'echo', 'cat', 'ls', 'touch', 'test', 'kill', 'true', 'false', 'id']

export function tarball(arch = 'x64'): string {
  return join(DIST, `tini-ts-portable-linux-${arch}.tar.gz`)
}

/** shared/rootfs/ beside the project (the main checkout's parent, or a worktree's ancestors), or $TINI_TS_ROOTFS_DIR. */
export function sharedRootfsDir(): string | undefined {
  if (process.env.TINI_TS_ROOTFS_DIR) return process.env.TINI_TS_ROOTFS_DIR
  for (let d = dirname(REPO); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, 'shared', 'rootfs', 'README.md'))) return join(d, 'shared', 'rootfs')
  }
  return undefined
}

export function alpineTarballName(arch = 'x64'): string {
  return `alpine-minirootfs-${ALPINE_VERSION}-${ALPINE_ARCH[arch]}.tar.gz`
}

/** The Alpine tarball, its sha512 checked against the README beside it; or why it cannot be used. */
export function alpineTarball(arch = 'x64'): { file: string } | { missing: string } {
  const dir = sharedRootfsDir()
  const name = alpineTarballName(arch)
  if (!dir) return { missing: `no shared/rootfs/ beside the project (nor TINI_TS_ROOTFS_DIR) holding ${name}` }
  const file = join(dir, name)
  if (!existsSync(file)) return { missing: `${file} is missing` }
  const m = new RegExp(`^\\s*([0-9a-f]{128})\\s+${name.replace(/\./g, '\\.')}\\s*$`, 'm').exec(readFileSync(join(dir, 'README.md'), 'utf8'))
  if (!m) return { missing: `${join(dir, 'README.md')} gives no sha512 for ${name}` }
  const got = createHash('sha512').update(readFileSync(file)).digest('hex')
  if (got !== m[1]) return { missing: `${file}: sha512 ${got.slice(0, 16)}… is not the README's ${m[1].slice(0, 16)}…` }
  return { file }
}

/** The Alpine rootfs for `arch`, unpacked once into the tier's cache (read-only use). */
export async function alpineRootfs(arch = 'x64'): Promise<string> {
  const t = alpineTarball(arch)
  if ('missing' in t) throw new Error(t.missing)
  const dir = join(cacheDir(), `alpine-${ALPINE_VERSION}-${ALPINE_ARCH[arch]}`)
  if (existsSync(join(dir, 'etc', 'alpine-release'))) return dir
  mkdirSync(cacheDir(), { recursive: true })
  const part = mkdtempSync(`${dir}.partial-`)
  const r = await execa('tar', ['-xzf', t.file, '-C', part], { reject: false })
  if (r.exitCode !== 0) {
    rmSync(part, { recursive: true, force: true })
    throw new Error(`unpacking ${t.file}: ${r.stderr}`)
  }
  try {
    renameSync(part, dir)
  } catch {
    rmSync(part, { recursive: true, force: true }) // another process got there first
  }
  return dir
}

/** A fresh directory holding the bundle unpacked as at / (opt/tini-ts/...); the caller removes it. */
export async function unpackBundle(arch = 'x64'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `tini-ts-portable-${arch}-`))
  const r = await execa('tar', ['-xzf', tarball(arch), '-C', dir], { reject: false })
  if (r.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`tar -xzf ${tarball(arch)}: ${r.stderr}`)
  }
  return dir
}

/** A fresh scratch root: /bin/busybox and its applets' symlinks, nothing else; the caller removes it. */
export function scratchRootfs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-scratch-'))
  mkdirSync(join(dir, 'bin'))
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'))
  for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a))
  // what the kernel and runc expect to find, empty
  for (const d of ['proc', 'dev', 'sys']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, '.scratch'), '')
  return dir
}

/** Why the portable tests cannot run here, or undefined. */
export function portableMissing(arch = 'x64'): string | undefined {
  if (!existsSync(tarball(arch))) return `no ${tarball(arch)}: npm run build writes it (scripts/build-portable.mjs)`
  if (process.getuid?.() !== 0) return 'the container tier needs root'
  return undefined
}

export { REPO }
