// The embedded addon's extraction must not be raceable into
// code execution as the init's user (root). The attacker is another user
// (nobody) owning the directory the init is pointed at ($XDG_RUNTIME_DIR),
// with test/fixtures/race/racer.c: inotify sees the init's private directory
// appear, replaces it with its own, and renames its shared object
// (test/fixtures/race/evil.c, whose constructor records the uid running it)
// over the addon between the content check and the dlopen (it serves the
// genuine bytes to the check: the addon is public).
//  - control: the old extraction (test/fixtures/race/naive-extract.cjs, the
//    logic tini-ts had) runs the attacker's code as uid 0;
//  - dist/tini-ts-node never does: it does not write into a directory another user
//    owns (or whose parents another user owns), and loads what it checked
//    through the descriptor it holds (O_TMPFILE + /proc/self/fd/N);
//  - with every other directory noexec, it refuses with one line per attempt
//    naming the owner, and runs nothing of the attacker's.
import t from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { nodeExecutable } from '../helpers/tini'

const ROOT = path.resolve(__dirname, '..', '..')
// The Node executable: the embedded addon is its (the front end has none)
const EXE = nodeExecutable()
const ADDON = path.join(ROOT, 'dist', 'tini_native.node')
const FIX = path.join(ROOT, 'test', 'fixtures', 'race')
const NOBODY = 65534

function why(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (chown to nobody, setpriv, unshare)'
  for (const cmd of ['gcc', 'setpriv', 'unshare']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `needs ${cmd}`
  }
  if (!fs.existsSync(EXE) || !fs.existsSync(ADDON)) return 'needs npm run build'
  if (!fs.existsSync('/run')) return 'needs /run'
  return false
}
const skip = why()

// Outside /tmp, /dev/shm and /var/tmp, which the noexec case covers; reachable by nobody.
const D = skip ? '' : fs.mkdtempSync('/run/tini-ts-race-')
const MARKER = path.join(D, 'pwned')

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
}

function ranAsRoot(): number {
  if (!fs.existsSync(MARKER)) return 0
  return fs.readFileSync(MARKER, 'utf8').split('\n').filter((l) => l === 'uid=0').length
}

/** The racer, as nobody; `ready` resolves once its inotify watch is set
 * (it prints "watching"). */
function startRacer(seconds: number): { proc: ChildProcess; done: Promise<number>; ready: Promise<void> } {
  // a clean slate: the marker and what an earlier race left
  for (const n of fs.readdirSync(D)) {
    if (n === 'pwned' || n.startsWith('.stolen-') || n.startsWith('.evil-') || n.startsWith('tini-ts-')) {
      fs.rmSync(path.join(D, n), { recursive: true, force: true })
    }
  }
  const proc = spawn('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups',
    path.join(D, 'racer'), D, path.join(D, 'evil.so'), path.join(D, 'genuine.node'), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout!.on('data', (b) => (out += b))
  const done = new Promise<number>((resolve) => proc.on('close', () => resolve(Number(/swapped (\d+)/.exec(out)?.[1] ?? -1))))
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', () => out.includes('watching\n') && resolve())
    proc.on('close', () => reject(new Error(`the racer ended before watching: ${out}`)))
  })
  ready.catch(() => {}) // awaited by the tests; a late rejection after resolve is moot
  return { proc, done, ready }
}

/** dist/tini-ts alone in a directory (no addon beside it: the embedded copy must be extracted). */
function lonely(): string {
  const dir = fs.mkdtempSync('/run/tini-ts-lonely-')
  const exe = path.join(dir, 'tini-ts')
  fs.copyFileSync(EXE, exe)
  fs.chmodSync(exe, 0o755)
  return exe
}

const ENV = { PATH: '/usr/bin:/bin', HOME: '/root', XDG_RUNTIME_DIR: D }

t.test('addon extraction raced by the owner of $XDG_RUNTIME_DIR', { skip }, async (t) => {
  t.teardown(() => fs.rmSync(D, { recursive: true, force: true }))
  fs.chmodSync(D, 0o755)
  sh('gcc', ['-O2', '-o', path.join(D, 'racer'), path.join(FIX, 'racer.c')])
  sh('gcc', ['-shared', '-fPIC', `-DMARKER="${MARKER}"`, '-o', path.join(D, 'evil.so'), path.join(FIX, 'evil.c')])
  fs.copyFileSync(ADDON, path.join(D, 'genuine.node'))
  for (const f of ['', 'racer', 'evil.so', 'genuine.node']) fs.chownSync(path.join(D, f), NOBODY, NOBODY)

  t.test('control: the old extraction (check and dlopen by name) runs the racer\'s code as root', async (t) => {
    const racer = startRacer(8)
    await racer.ready
    const r = spawnSync(process.execPath, [path.join(FIX, 'naive-extract.cjs'), D, ADDON, '300'], {
      encoding: 'utf8',
      env: { PATH: ENV.PATH },
    })
    racer.proc.kill('SIGTERM')
    const swapped = await racer.done
    t.equal(r.status, 0, r.stderr)
    t.ok(swapped > 0, `the racer swapped files in ${D} (${swapped}; ${r.stdout.trim()})`)
    t.ok(ranAsRoot() > 0, `the racer's constructor ran as uid 0 (${ranAsRoot()} of 300 tries)`)
  })

  t.test('dist/tini-ts: 10 starts under the same racer, its code never runs', async (t) => {
    const exe = lonely()
    t.teardown(() => fs.rmSync(path.dirname(exe), { recursive: true, force: true }))
    const racer = startRacer(60)
    await racer.ready
    for (let i = 0; i < 10; i++) {
      const r = spawnSync(exe, ['-s', '--', 'sh', '-c', 'exit 4'], { encoding: 'utf8', env: ENV, timeout: 60_000 })
      t.equal(r.status, 4, `run ${i}: ${r.stderr}`)
    }
    racer.proc.kill('SIGTERM')
    const swapped = await racer.done
    t.equal(ranAsRoot(), 0, 'the racer\'s constructor never ran')
    t.equal(swapped, 0, 'nothing to swap')
    t.same(fs.readdirSync(D).filter((n) => n.startsWith('tini-ts-') || n.startsWith('.stolen')), [],
      `nothing was ever created in ${D}`)
  })

  t.test('dist/tini-ts, every other directory noexec: refuses, names the owner, runs nothing', async (t) => {
    const exe = lonely()
    t.teardown(() => fs.rmSync(path.dirname(exe), { recursive: true, force: true }))
    const racer = startRacer(60)
    await racer.ready
    const r = spawnSync('unshare', ['-m', 'sh', '-c',
      'for d in /tmp /dev/shm /var/tmp; do mount -t tmpfs -o noexec,mode=1777 tmpfs "$d" || exit 99; done; exec "$@"',
      'sh', exe, '-s', '--', 'true'], { encoding: 'utf8', env: { ...ENV, HOME: '/nonexistent' }, timeout: 60_000 })
    racer.proc.kill('SIGTERM')
    await racer.done
    t.equal(r.status, 1, r.stderr)
    t.match(r.stderr, `  ${D} (extracted copy): not used: ${D} is owned by uid ${NOBODY}, not by root or uid 0`)
    t.equal(r.stderr.split('\n').filter((l) => /^\s+at /.test(l)).length, 0, 'no stack trace')
    t.equal(ranAsRoot(), 0, 'the racer\'s constructor never ran')
  })

  t.test('a root-owned directory below one nobody owns is refused too (the parent can be renamed)', async (t) => {
    const sub = path.join(D, 'root-owned')
    fs.mkdirSync(sub, { mode: 0o700 })
    const exe = lonely()
    t.teardown(() => fs.rmSync(path.dirname(exe), { recursive: true, force: true }))
    const r = spawnSync('unshare', ['-m', 'sh', '-c',
      'for d in /tmp /dev/shm /var/tmp; do mount -t tmpfs -o noexec,mode=1777 tmpfs "$d" || exit 99; done; exec "$@"',
      'sh', exe, '-s', '--', 'true'], { encoding: 'utf8', env: { ...ENV, XDG_RUNTIME_DIR: sub, HOME: '/nonexistent' }, timeout: 60_000 })
    t.equal(r.status, 1, r.stderr)
    t.match(r.stderr, `  ${sub} (extracted copy): not used: ${D} is owned by uid ${NOBODY}`)
  })
})
