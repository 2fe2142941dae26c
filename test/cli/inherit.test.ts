// Black-box: the program inherits argv, env, cwd, stdio exactly as given, a
// clean signal state, and no descriptor of the runtime.
import t from 'tap'
import { execa } from 'execa'
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { children, killTree, signalMasks, hasSignal, tiniArgv, viaFrontEnd, waitFor } from '../helpers/tini'

const TMP = realpathSync(mkdtempSync(join(tmpdir(), 'tini-ts-inh-')))
t.teardown(() => rmSync(TMP, { recursive: true, force: true }))

function tini(args: string[], opts: Parameters<typeof execa>[2] = {}) {
  const [file, ...pre] = tiniArgv(args)
  return execa(file, pre, { reject: false, timeout: 60_000, ...opts, env: { TINI_SUBREAPER: '', ...(opts.env ?? {}) } } as any)
}

t.test('argv exactly, odd arguments included', async (t) => {
  const args = ['a b', '', '  ', '--', '-v', 'ünïcödé', 'new\nline', "it's", '$HOME', '*']
  const r = await tini(['--', 'python3', '-c', 'import sys, json; print(json.dumps(sys.argv[1:]))', ...args])
  t.equal(r.exitCode, 0)
  t.same(JSON.parse(r.stdout as string), args)
})

t.test('environment exactly as given, nothing added or removed', async (t) => {
  const env = { PATH: process.env.PATH as string, A: '1', EMPTY: '', SPACES: 'x y  z', TINI_SUBREAPER: '', 'WEIRD=KEY': 'v' }
  const [file, ...pre] = tiniArgv(['--', 'cat', '/proc/self/environ'])
  const r = await execa(file, pre, { reject: false, extendEnv: false, env, timeout: 60_000 })
  t.equal(r.exitCode, 0)
  const got = (r.stdout as string).split('\0').filter(Boolean).sort()
  // what tini-ts itself was given: ask a sibling with the same env
  const ref = await execa('cat', ['/proc/self/environ'], { extendEnv: false, env })
  // (tap's spawn hook adds NODE_OPTIONS and _TAPJS_* to every child; helpers/tini drops NODE_OPTIONS)
  const mine = (l: string[]) => l.filter((e) => !e.startsWith('_TAPJS_') && !e.startsWith('NODE_OPTIONS='))
  t.same(mine(got), mine((ref.stdout as string).split('\0').filter(Boolean).sort()))
  t.ok(got.includes('A=1') && got.includes('EMPTY=') && got.includes('SPACES=x y  z'))
})

t.test('cwd', async (t) => {
  const r = await tini(['--', 'pwd', '-P'], { cwd: TMP })
  t.equal(r.stdout, TMP)
})

t.test('stdin, stdout, stderr are the very descriptors given, still blocking', async (t) => {
  const r = await tini(['--', 'sh', '-c', 'cat; echo to-err >&2; for f in 0 1 2; do grep flags /proc/self/fdinfo/$f; done'], { input: 'from-stdin\n' })
  t.equal(r.exitCode, 0)
  const out = (r.stdout as string).split('\n')
  t.equal(out[0], 'from-stdin', 'stdin passed')
  t.equal(r.stderr, 'to-err', 'stderr passed, and nothing else written to it')
  for (const l of out.slice(1)) t.equal(parseInt(l.split(/\s+/)[1], 8) & 0o4000, 0, `no O_NONBLOCK: ${l}`)
})

const BIG_WRITE = `
import os, sys
fl = {f: int(open('/proc/self/fdinfo/%d' % f).read().split('\\n')[1].split()[1], 8) for f in (1, 2)}
n = os.write(2, b'x' * 200000)
print(n, fl[1] & 0o4000, fl[2] & 0o4000)
`

t.test('stdio stays blocking while the init logs (default warning, -vvv)', async (t) => {
  for (const [name, args, env] of [
    ['not-a-subreaper warning', ['--'], {}],
    ['-vvv', ['-vvv', '-s', '--'], {}],
    ['-s, nothing logged', ['-s', '--'], {}],
  ] as [string, string[], Record<string, string>][]) {
    const [file, ...pre] = tiniArgv([...args, 'python3', '-c', BIG_WRITE])
    const r = await execa(file, pre, { reject: false, timeout: 60_000, env: { ...process.env, TINI_SUBREAPER: undefined, ...env } as any, extendEnv: false })
    t.equal(r.exitCode, 0, name)
    t.equal(r.stdout, '200000 0 0', `${name}: one 200000-byte write to a blocking stderr completes; stdout and stderr not O_NONBLOCK`)
    t.ok((r.stderr as string).includes('x'.repeat(200000)), `${name}: all of it arrived`)
  }
})

t.test('signal mask empty and every disposition default, though the init ignores some', async (t) => {
  const sub = tini(['--', 'sleep', '30'])
  t.teardown(() => killTree(sub.pid))
  const kid = await waitFor('sleep', () => children(sub.pid as number).find((c) => c.comm === 'sleep'))
  const m = signalMasks(kid.pid)
  t.equal(m.blk, 0n, 'SigBlk 0')
  t.equal(m.ign, 0n, 'SigIgn 0')
  const own = signalMasks(sub.pid as number)
  if (viaFrontEnd()) {
    // The front end's fast path blocks every signal and takes them with
    // sigtimedwait(2) (while it waits there, /proc shows them unblocked):
    // it catches and ignores none, and the program gets the mask and the
    // dispositions the init was given (empty here).
    t.match(readFileSync(`/proc/${sub.pid}/wchan`, 'utf8'), /sigtimedwait/, 'control: the init waits in sigtimedwait')
    t.equal(own.cgt | own.ign, 0n, 'control: and catches or ignores nothing')
  } else {
    t.ok(hasSignal(own.ign, 21) && hasSignal(own.ign, 22), 'control: the init ignores SIGTTIN and SIGTTOU')
    t.ok(hasSignal(own.cgt, 13) && hasSignal(own.cgt, 15), 'control: the init catches SIGPIPE and SIGTERM')
  }
  process.kill(sub.pid as number, 'SIGTERM')
  t.equal((await sub).exitCode, 143)
})

t.test("SIGPIPE is default: `sh -c 'yes | head -n1'` prints no error", async (t) => {
  const r = await tini(['--', 'sh', '-c', 'yes | head -n1'])
  t.equal(r.exitCode, 0)
  t.equal(r.stdout, 'y')
  t.equal(r.stderr, '', 'no "Broken pipe" from yes')
  // control: with SIGPIPE ignored, yes does complain
  const c = await tini(['--', 'sh', '-c', 'trap "" PIPE; yes | head -n1'])
  t.match(c.stderr, /Broken pipe|write error/i, 'control: an ignored SIGPIPE shows the error')
})

t.test('descriptors: stdio only, none of the runtime (epoll, eventfd, pipes)', async (t) => {
  // fds >= 3 that the test process itself leaves inheritable reach every
  // child (e.g. a CI harness's); they are not the init's to drop.
  const r = await tini(['--', 'sh', '-c', 'ls /proc/self/fd; ls -l /proc/self/fd/'], { stdin: 'ignore' })
  const fds = (r.stdout as string).split('\n').filter((l) => /^\d+$/.test(l)).map(Number)
  const base = await execa('sh', ['-c', 'ls /proc/self/fd'], { stdin: 'ignore' })
  const baseline = (base.stdout as string).split('\n').filter((l) => /^\d+$/.test(l)).map(Number)
  t.same(fds.sort((a, b) => a - b), baseline.sort((a, b) => a - b), 'the same descriptors as without the init')
  t.notMatch(r.stdout, /eventpoll|eventfd|io_uring/, 'no epoll/eventfd descriptor')
})

t.test('descriptors handed to the init beyond stdio reach the program (tini passes them)', async (t) => {
  const [file, ...pre] = tiniArgv(['--', 'sh', '-c', 'ls /proc/self/fd/3 >/dev/null 2>&1 && echo has-3 || echo no-3'])
  const r = await execa(file, pre, { reject: false, timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { TINI_SUBREAPER: '' } })
  const oracle = await execa('tini', ['-s', '--', 'sh', '-c', 'ls /proc/self/fd/3 >/dev/null 2>&1 && echo has-3 || echo no-3'], { reject: false, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
  t.equal(oracle.stdout, 'has-3', 'tini passes fd 3 on')
  t.equal(r.stdout, 'has-3', 'tini-ts passes fd 3 on')
})
