// Recycled pids must never turn cleanup, --timeout or -g forwarding on a
// stranger. Each scenario runs in a private PID namespace whose PID 1 is the
// driver (test/fixtures/pid-reuse.py); it writes /proc/sys/kernel/ns_last_pid
// so that the pid of the init's program, once reaped, goes to a stranger
// while the init is still terminating its tree (waiting out --grace for a
// member that ignores SIGTERM). Each test asserts that the stranger really
// got that pid, and that it was up while the termination ran. The control
// drives the same scenario against test/fixtures/naive-cleanup.py, an init
// that terminates by number with the rules tini-ts had before, and shows the
// stranger being hit: so each test can see the failure it guards against.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES, haveBinary, tiniArgv } from '../helpers/tini'
import { run } from '../helpers/run'

const DRIVER = join(FIXTURES, 'pid-reuse.py')
const NAIVE = join(FIXTURES, 'naive-cleanup.py')
const GRACE = '5' // seconds: the window in which the stranger appears (handshakes order the steps)

const skip =
  process.getuid?.() !== 0 ? 'needs root (a PID namespace, ns_last_pid)' : !haveBinary('unshare') ? 'needs unshare' : !haveBinary('python3') ? 'needs python3' : false

interface Result {
  program: number
  stranger: number
  init: number
  overlap: boolean
  second?: number
  strangerAliveAfter?: boolean
  strangers?: [number, boolean][]
  signals?: [string, number, number][]
  signalsA?: [string, number, number][]
  signalsB?: [string, number, number][]
  daemonLeftRunning?: boolean
}

async function drive(t: Tap.Test, scenario: string, init: string[]): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-pid-reuse-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = await run(['unshare', '-fp', '--mount-proc', 'python3', DRIVER, 'drive', scenario, dir, '--', ...init], 120_000)
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`${scenario}: no result (exit ${r.code}, signal ${r.signal})\n${r.stdout}\n${r.stderr}`)
  return JSON.parse(line.slice(7)) as Result
}

const NO_PIDFD = join(FIXTURES, 'no-pidfd.py')
const tini = (args: string[]) => tiniArgv(args)
/** tini-ts where pidfd_open says ENOSYS (a seccomp filter): the fallback */
const tiniNoPidfd = (args: string[]) => ['python3', NO_PIDFD, ...tiniArgv(args)]
const naive = (args: string[]) => ['python3', NAIVE, ...args]

/** The stranger really holds the recycled pid, and was there to be found. */
function recycled(t: Tap.Test, r: Result, who: string) {
  t.equal(r.stranger, r.program, `${who}: the program's pid was handed to the stranger`)
  t.ok(r.overlap, `${who}: the stranger was up while the init was still terminating`)
}

const SIGHUP = 1
const SIGTERM = 15
const termCount = (sigs: [string, number, number][] | undefined, tag: string) => (sigs ?? []).filter(([n, , s]) => n === tag && s === SIGTERM).length

t.test('cleanup: a second probe at the recycled program pid is not signalled (it does not exit 143)', { skip }, async (t) => {
  const r = await drive(t, 'cleanup', tini(['-s', '--grace', `${GRACE}s`]))
  recycled(t, r, 'tini-ts')
  t.equal(r.init, 0, "the first probe exits with its program's status")
  t.equal(r.second, 0, 'the second probe ran to its own end: exit 0')
  const c = await drive(t, 'cleanup', naive(['--grace', GRACE]))
  recycled(t, c, 'control')
  t.equal(c.second, 143, 'control: cleanup by number SIGTERMs the second probe, which exits 143')
})

t.test('--timeout: the stranger with the recycled pid gets no SIGKILL (does not exit 137)', { skip }, async (t) => {
  const r = await drive(t, 'timeout', tini(['--timeout', '1s', '--grace', `${GRACE}s`]))
  recycled(t, r, 'tini-ts')
  t.equal(r.init, 124, 'the first probe timed out')
  t.equal(r.strangerAliveAfter, true, 'the stranger outlived the termination')
  t.equal(r.second, 0, 'and ran to its own end: exit 0')
  const c = await drive(t, 'timeout', naive(['--timeout', '1', '--grace', GRACE]))
  recycled(t, c, 'control')
  t.equal(c.second, 137, 'control: termination by number SIGKILLs it at the end of the grace period (137)')
})

t.test('session: a stranger with the recycled pid calls setsid, its child makes its own group: neither gets a signal', { skip }, async (t) => {
  const r = await drive(t, 'session', tini(['-s', '--grace', `${GRACE}s`]))
  recycled(t, r, 'tini-ts')
  t.equal(r.strangers?.length, 2, 'the stranger and its child')
  t.same(r.signals, [], 'no signal reached either')
  t.ok(r.strangers?.every(([, alive]) => alive), 'both still run')
  const c = await drive(t, 'session', naive(['--grace', GRACE]))
  recycled(t, c, 'control')
  // by pid: a SIGTERM that lands between the child's fork and its own
  // handlers is logged under its parent's tag
  const termed = (pid: number) => (c.signals ?? []).some(([, p, s]) => p === pid && s === SIGTERM)
  t.equal(c.strangers?.length, 2)
  t.ok(c.strangers?.every(([pid]) => termed(pid)), 'control: adoption by session id SIGTERMs both')
})

t.test('-g: a SIGHUP sent during cleanup does not reach a group led by the recycled pid', { skip }, async (t) => {
  const r = await drive(t, 'hup', tini(['-s', '-g', '--grace', `${GRACE}s`]))
  recycled(t, r, 'tini-ts')
  t.same(r.signals, [], 'the stranger group got nothing (no SIGHUP, no SIGTERM)')
  t.ok(r.strangers?.every(([, alive]) => alive))
  const c = await drive(t, 'hup', naive(['-g', '--grace', GRACE]))
  recycled(t, c, 'control')
  t.ok((c.signals ?? []).some(([, , s]) => s === SIGHUP), 'control: -g forwarding to kill(-pid) after the program is gone hands SIGHUP to the stranger')
})

t.test('two probes at once, the second at the first one\'s recycled program pid: each cleans up only its own', { skip }, async (t) => {
  const r = await drive(t, 'two', tini(['-s', '--grace', `${GRACE}s`]))
  recycled(t, r, 'tini-ts')
  t.equal(r.init, 0)
  t.equal(r.second, 0, 'the second probe exits 0')
  t.equal(termCount(r.signalsA, 'stubborn'), 1, "the first probe's leftover: one SIGTERM, from its own probe")
  t.equal(termCount(r.signalsB, 'stubborn'), 1, "the second probe's leftover: one SIGTERM, from its own probe")
  const c = await drive(t, 'two', naive(['--grace', GRACE]))
  recycled(t, c, 'control')
  t.ok(c.second !== 0 || termCount(c.signalsB, 'stubborn') !== 1, `control: by number, the first probe reaches into the second (exit ${c.second})`)
})

t.test('without -s, --cleanup and --timeout terminate a double-forked setsid daemon', { skip }, async (t) => {
  const r = await drive(t, 'daemon', tini(['--cleanup']))
  t.equal(r.init, 0)
  t.equal(r.daemonLeftRunning, false, '--cleanup: the daemon was re-parented to tini-ts and terminated')
  const w = await drive(t, 'daemon-wait', tini(['--timeout', '1s']))
  t.equal(w.init, 124)
  t.equal(w.daemonLeftRunning, false, '--timeout: the daemon was terminated')
  if (haveBinary('tini')) {
    const c = await drive(t, 'daemon', ['tini'])
    t.equal(c.daemonLeftRunning, true, 'control: under tini (no subreaper) the daemon escapes and keeps running')
  }
  const ct = await drive(t, 'daemon-wait', ['timeout', '--', '1'])
  t.equal(ct.init, 124)
  t.equal(ct.daemonLeftRunning, true, 'control: timeout(1) ends the program but the daemon keeps running')
})

t.test('without pidfds (pidfd_open: ENOSYS), the fallback also leaves the strangers alone and terminates the tree', { skip }, async (t) => {
  const probe = execFileSync('python3', [NO_PIDFD, '--probe'], { encoding: 'utf8' }).trim()
  t.equal(probe, 'ENOSYS', 'under the filter pidfd_open fails as on a kernel before 5.3')
  const a = await drive(t, 'cleanup', tiniNoPidfd(['-s', '--grace', `${GRACE}s`]))
  recycled(t, a, 'cleanup')
  t.equal(a.second, 0, 'cleanup: the second probe ran to its own end')
  const b = await drive(t, 'timeout', tiniNoPidfd(['--timeout', '1s', '--grace', `${GRACE}s`]))
  recycled(t, b, 'timeout')
  t.equal(b.init, 124)
  t.equal(b.second, 0, '--timeout: the stranger ran to its own end')
  const c = await drive(t, 'session', tiniNoPidfd(['-s', '--grace', `${GRACE}s`]))
  recycled(t, c, 'session')
  t.same(c.signals, [], 'session: no signal reached the stranger or its child')
  const d = await drive(t, 'daemon', tiniNoPidfd(['--cleanup']))
  t.equal(d.daemonLeftRunning, false, 'the setsid daemon, re-parented to tini-ts, was terminated')
  // (each scenario's driver waits for the member's SIGTERM from the init:
  // the fallback did terminate the tree)
})
