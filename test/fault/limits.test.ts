// Bad conditions at start-up give one clear line and a non-zero exit, never
// a hang, a stack trace or a signal death. The floors
// (README, "Hostile conditions") are tested from both sides where the side
// below is ours to handle; below Node's own floor the runtime dies before
// any tini-ts code runs, which the README states.
import t from 'tap'
import { makePidsCgroup, pidsCgroupUnavailable } from '../helpers/cgroup'
import { haveBinary, tiniArgv, viaFrontEnd } from '../helpers/tini'
import { CRASH_TEXT, run } from '../helpers/run'

const GIB = 1024 * 1024 * 1024
const lines = (s: string) => s.split('\n').filter(Boolean)

/** One line on stderr matching re, exit 1, within the deadline. */
function oneLine(t: Tap.Test, r: Awaited<ReturnType<typeof run>>, re: RegExp) {
  t.notOk(r.timedOut, 'no hang')
  t.equal(r.signal, null, 'no signal death')
  t.equal(r.code, 1, 'exit 1')
  t.equal(lines(r.stderr).length, 1, `one line on stderr: ${r.stderr.trim()}`)
  t.match(r.stderr, re)
  t.notMatch(r.stderr, CRASH_TEXT, 'no stack or crash text')
}

t.test('pids.max', { skip: pidsCgroupUnavailable() }, async (t) => {
  // Was: a hang at start (Node's platform waited for V8 workers it failed to
  // create). With --v8-pool-size=1 the runtime takes 3 pids, the log writer
  // 1, the program 1.
  await t.test('5: runs, logs, reaps', async (t) => {
    const cg = makePidsCgroup(5)
    t.teardown(() => cg.remove())
    const r = await run(cg.wrap(tiniArgv(['-s', '-vv', '--', 'sh', '-c', 'exit 3'])), 20_000)
    t.notOk(r.timedOut, 'no hang')
    t.equal(r.code, 3, "the program's status")
    t.match(r.stderr, /Main child exited normally \(with status '3'\)/)
    t.notMatch(r.stderr, CRASH_TEXT)
  })
  // Was: a JavaScript stack (clone's EAGAIN thrown through the promise).
  // The front end's fast path needs no pid but its own and the program's:
  // its spawn fails at pids.max 1.
  const spawnFails = viaFrontEnd() ? 1 : 4
  await t.test(`${spawnFails}: the spawn fails with EAGAIN: one line, exit 1 (as tini)`, async (t) => {
    const cg = makePidsCgroup(spawnFails)
    t.teardown(() => cg.remove())
    const r = await run(cg.wrap(tiniArgv(['-s', '--', 'true'])), 20_000)
    oneLine(t, r, /cannot start true: clone: Resource temporarily unavailable \(no process can be created/)
  })
  await t.test('3: no pid for the log writer: one line, exit 1, nothing started', { skip: viaFrontEnd() && 'the fast path has no log writer thread (the Node path run covers it)' }, async (t) => {
    const cg = makePidsCgroup(3)
    t.teardown(() => cg.remove())
    const r = await run(cg.wrap(tiniArgv(['-s', '--', 'touch', '/nonexistent-dir/x'])), 20_000)
    oneLine(t, r, /cannot start the log writer thread: no thread can be created \(EAGAIN/)
  })
})

t.test('RLIMIT_NOFILE', { skip: haveBinary('prlimit') ? false : 'needs prlimit' }, async (t) => {
  // Was: SIGSEGV at 18. Node's start-up opens fds 3..19 (three libuv loops
  // with an epoll, an io_uring, pipes and an eventfd each) and crashes below
  // 20, before any JS; from 20 on it is ours. (run() passes stdio only.)
  const r22 = await run(['prlimit', '--nofile=21', ...tiniArgv(['-s', '-vv', '--', 'sh', '-c', 'sleep 0.1 & exit 4'])], 20_000)
  t.equal(r22.code, 4, '21 descriptors: runs, exit with the program\'s status')
  t.notMatch(r22.stderr, CRASH_TEXT)
  // -w: the Node path, whatever TINI_TS_BIN is (the front end hands it over)
  const r21 = await run(['prlimit', '--nofile=20', ...tiniArgv(['-s', '-w', '--', 'true'])], 20_000)
  oneLine(t, r21, /too many open files \(RLIMIT_NOFILE, ulimit -n, is below the 21 tini-ts needs/)
  // The window that batches reap lines runs on a timerfd, made at the first
  // batch (after the spawn); with no descriptor left for it, on libuv's
  // timer (native/wake.c). Either way every orphan gets its line. The
  // program waits until its parent, the init, holds a timerfd (at most 2 s),
  // then reports how many it holds.
  const holdsTimerfd = `sh -c 'true &'; i=0; while [ $i -lt 40 ] && ! ls -l /proc/$PPID/fd 2>/dev/null | grep -q timerfd; do sleep 0.05; i=$((i+1)); done; echo "timerfds=$(ls -l /proc/$PPID/fd | grep -c timerfd)"; exit 4`
  for (const [limit, timerfds] of [[undefined, 1], ['21', 0]] as const) {
    const argv = tiniArgv(['-s', '-w', '--', 'sh', '-c', holdsTimerfd])
    const r = await run(limit ? ['prlimit', `--nofile=${limit}`, ...argv] : argv, 20_000)
    const what = limit ? `${limit} descriptors` : 'control, no limit'
    t.equal(r.code, 4, `${what}: the program's status`)
    t.match(r.stdout, `timerfds=${timerfds}`, `${what}: the window runs on ${timerfds ? 'a timerfd' : "libuv's timer"}`)
    t.match(r.stderr, /Reaped zombie process with pid=\d+/, `${what}: the orphan's line comes`)
    t.notMatch(r.stderr, CRASH_TEXT)
  }
  if (viaFrontEnd()) {
    // The fast path opens a few descriptors at a time, none of them kept.
    const fast = await run(['prlimit', '--nofile=8', ...tiniArgv(['-s', '--', 'sh', '-c', 'sleep 0.1 & exit 4'])], 20_000)
    t.equal(fast.code, 4, 'the fast path: 8 descriptors are enough')
    t.equal(fast.stderr, '', 'and it says nothing')
  }
})

t.test('RLIMIT_AS', { skip: haveBinary('prlimit') ? false : 'needs prlimit' }, async (t) => {
  // Was: V8's "Fatal process out of memory" crash text at 1 GiB (its 512 MiB
  // code range). --jitless reserves none.
  for (const gib of [1, 2]) {
    const r = await run(
      ['prlimit', `--as=${gib * GIB}`, ...tiniArgv(['-s', '-w', '--', 'sh', '-c', '(sleep 0.1 &); sleep 0.4; exit 5'])],
      20_000,
    )
    t.equal(r.code, 5, `${gib} GiB: runs, exit with the program's status`)
    t.match(r.stderr, /Reaped zombie process/, `${gib} GiB: orphans reaped and logged`)
    t.notMatch(r.stderr, CRASH_TEXT, `${gib} GiB: no crash text`)
  }
})

t.test('no /proc (mount namespace): never a stack trace', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async (t) => {
  // Whatever tini-ts makes of a missing /proc (run degraded, or refuse), an
  // internal error in set-up comes out as one line, not a JS stack.
  const sh = `mount -t tmpfs none /proc && exec ${tiniArgv(['-s', '--', 'sh', '-c', 'exit 6']).map((a) => `'${a}'`).join(' ')}`
  const r = await run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', sh], 20_000)
  t.notOk(r.timedOut, 'no hang')
  t.equal(r.signal, null, 'no signal death')
  t.ok(r.code === 6 || (r.code === 1 && lines(r.stderr).length === 1), `runs (6) or one line and exit 1: ${r.code} ${r.stderr.trim()}`)
  t.notMatch(r.stderr, CRASH_TEXT, 'no stack')
})

