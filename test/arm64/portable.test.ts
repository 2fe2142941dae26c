// The linux-arm64 portable bundle (dist/tini-ts-portable-linux-arm64.tar.gz) in
// Alpine 3.20.3's aarch64 minirootfs (musl, no glibc), under qemu-user. binfmt_misc
// is not mounted here, so qemu-aarch64-static (a static x86-64 binary) is copied
// into the root and invoked explicitly, inside a chroot: the executable's
// interpreter, /opt/tini-ts/lib/ld-linux-aarch64.so.1, is then found at its real
// path, with no -L prefix and nothing from the host's arm64 sysroot. The programs
// an arm64 init starts must be host binaries (execve goes to the kernel, which
// cannot run arm64 without binfmt): a static x86-64 busybox is copied in for that.
// For the same reason the entry, /opt/tini-ts/tini-ts (the static arm64 front
// end), cannot hand over to /opt/tini-ts/tini-ts-node here: it runs, finds the
// Node executable beside itself and says in one line that the kernel refused
// it. The Node executable is then run directly, as the front end would.
// Control: the plain dist/linux-arm64/tini-ts does not start in the same root.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { alpineTarball, BUSYBOX, ENTRY, tarball } from '../helpers/portable'

const ROOT = path.resolve(__dirname, '..', '..')
// the Node executable as the plain build ships it (beside a front end, it is tini-ts-node)
const PLAIN = ['tini-ts-node', 'tini-ts'].map((f) => path.join(ROOT, 'dist', 'linux-arm64', f)).find((f) => fs.existsSync(f)) ?? ''
const QEMU = '/usr/bin/qemu-aarch64-static'
const NODE_ENTRY = '/opt/tini-ts/tini-ts-node'

function why(): string | false {
  if (!fs.existsSync(tarball('arm64'))) return `no ${tarball('arm64')}: npm run build (needs gcc-aarch64-linux-gnu, qemu-user-static)`
  if (!fs.existsSync(QEMU)) return 'needs qemu-user-static'
  if (!fs.existsSync(BUSYBOX)) return 'needs busybox-static (scripts/ci-install-system.sh)'
  if (process.getuid?.() !== 0) return 'needs root (chroot)'
  const a = alpineTarball('arm64')
  if ('missing' in a) return `Alpine aarch64 rootfs: ${a.missing}`
  return false
}
const skip = why()

t.test('the arm64 bundle in the aarch64 Alpine rootfs, under qemu-user', { skip }, async (t) => {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'tini-ts-alpine-arm64-'))
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }))
  const alpine = alpineTarball('arm64') as { file: string }
  for (const tgz of [alpine.file, tarball('arm64')]) t.equal(spawnSync('tar', ['-xzf', tgz, '-C', root]).status, 0, `unpacked ${path.basename(tgz)}`)
  fs.copyFileSync(QEMU, path.join(root, 'qemu-aarch64-static'))
  fs.chmodSync(path.join(root, 'qemu-aarch64-static'), 0o755)
  fs.mkdirSync(path.join(root, 'hostbin'))
  fs.copyFileSync(BUSYBOX, path.join(root, 'hostbin', 'busybox'))
  fs.chmodSync(path.join(root, 'hostbin', 'busybox'), 0o755)
  t.ok(fs.existsSync(path.join(root, 'lib', 'ld-musl-aarch64.so.1')), 'the root is musl\'s')
  t.notOk(fs.existsSync(path.join(root, 'lib', 'ld-linux-aarch64.so.1')), 'and has no glibc loader')
  // the host's PATH finds chroot and unshare; the same PATH inside finds the host busybox
  const env = { PATH: '/hostbin:/usr/sbin:/usr/bin:/sbin:/bin' }
  const inRoot = (args: string[]) => spawnSync('chroot', [root, '/qemu-aarch64-static', ...args], { encoding: 'utf8', env, timeout: 120_000 })

  const fe = inRoot([ENTRY, '--version'])
  t.equal(fe.status, 1, 'the front end runs in the musl root, and cannot exec an arm64 binary without binfmt')
  t.equal(fe.stderr.trim().split('\n').length, 1, 'one line')
  t.match(fe.stderr, /cannot run the Node executable \/opt\/tini-ts\/tini-ts-node: Exec format error/, 'it names the Node executable beside it')

  const v = inRoot([NODE_ENTRY, '--version'])
  t.equal(v.status, 0, v.stderr)
  t.match(v.stdout, /^tini-ts version /, '/opt/tini-ts/tini-ts-node --version')

  // the bundled loader resolves every library of the executable and of the addon inside the bundle
  for (const f of ['/opt/tini-ts/tini-ts-node', '/opt/tini-ts/tini_native.node']) {
    const l = inRoot(['/opt/tini-ts/lib/ld-linux-aarch64.so.1', '--list', f])
    t.equal(l.status, 0, l.stderr)
    const resolved = [...l.stdout.matchAll(/^\s*(\S+) => (\S+)/gm)].map((m) => [m[1], m[2]])
    t.ok(resolved.some(([n]) => n === 'libc.so.6'), `${f}: libc.so.6 listed`)
    t.same(resolved.filter(([, p]) => !p.startsWith('/opt/tini-ts/lib/')), [], `${f}: every library resolves in /opt/tini-ts/lib`)
  }

  // as PID 1 of a fresh PID namespace: the program's status is the init's
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount', `--mount-proc=${path.join(root, 'proc')}`, 'chroot', root,
    '/qemu-aarch64-static', NODE_ENTRY, '--', '/hostbin/busybox', 'sh', '-c', 'echo started; exit 3'], { encoding: 'utf8', env, timeout: 120_000 })
  t.equal(r.status, 3, `as PID 1: exit 3, the program's (${r.stderr})`)
  t.equal(r.stdout.trim(), 'started', 'the program ran')

  // control: the plain executable asks for /lib/ld-linux-aarch64.so.1, which musl's root lacks
  fs.copyFileSync(PLAIN, path.join(root, 'plain-tini-ts'))
  fs.chmodSync(path.join(root, 'plain-tini-ts'), 0o755)
  const c = inRoot(['/plain-tini-ts', '--version'])
  t.not(c.status, 0, 'control: dist/linux-arm64/tini-ts does not start there')
  t.match(c.stderr, /ld-linux-aarch64\.so\.1/, `control: its loader is missing (${c.stderr.trim()})`)
})
