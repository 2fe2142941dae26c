// The --zombies report on a fake /proc tree: what it counts, how it groups
// and judges PID 1, the re-check, the advice, the text and JSON forms and
// the exit code, all through runZombies. Real zombies in a real PID
// namespace are test/pid1/zombies.test.ts.
import t, { type Test } from 'tap'
import * as fs from 'fs'
import * as path from 'path'
import { runZombies, type ZombieScan } from '../../../src/inspect/zombies'
import type { ZombieReport } from '../../../src/inspect/zombie-types'

/** --zombies --json on procRoot, scanned once unless recheckMs says otherwise. */
async function report(procRoot: string, scan: ZombieScan = {}): Promise<ZombieReport & { exitCode: number }> {
  const out: string[] = []
  const exitCode = await runZombies({ json: true, out: (s) => out.push(s), procRoot, recheckMs: 0, ...scan })
  return { ...(JSON.parse(out.join('')) as ZombieReport), exitCode }
}

/** --zombies (text) on procRoot, scanned once. */
async function text(procRoot: string, scan: ZombieScan = {}): Promise<string> {
  const out: string[] = []
  await runZombies({ json: false, out: (s) => out.push(s), procRoot, recheckMs: 0, ...scan })
  return out.join('')
}

const statLine = (pid: number, comm: string, state: string, ppid: number, starttime: number, threads = 1): string =>
  `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 ${threads} 0 ${starttime} 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`
const statusText = (name: string, masks: { cgt?: string; ign?: string; blk?: string } = {}): string =>
  `Name:\t${name}\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\nSigBlk:\t${masks.blk ?? '0000000000000000'}\n` +
  `SigIgn:\t${masks.ign ?? '0000000000000000'}\nSigCgt:\t${masks.cgt ?? '0000000000000000'}\n`
const cmd = (...argv: string[]): string => argv.join('\0') + '\0'

function fakeProc(t: Test, entries: Record<string, Record<string, string>>, uptime = 1000): string {
  return t.testdir({ uptime: `${uptime}.00 0.00\n`, stat: 'btime 1700000000\n', ...entries })
}

t.test('fake /proc: odd comms, thread leaders, ppid 0, stale adopted zombies', async (t) => {
  const proc = fakeProc(t, {
    '1': { stat: statLine(1, 'tini', 'S', 0, 100), status: statusText('tini'), cmdline: cmd('/sbin/tini', '--', 'app') },
    '20': { stat: statLine(20, 'my app) S 1 (x', 'S', 1, 200), status: statusText('my app) S 1 (x'), cmdline: cmd('app', '--flag') },
    '21': { stat: statLine(21, 'wor ker)', 'Z', 20, 90_000), status: statusText('wor ker)'), cmdline: '' },
    '22': { stat: statLine(22, 'worker', 'Z', 20, 99_000), status: statusText('worker'), cmdline: '' },
    '23': { stat: statLine(23, 'orphan', 'Z', 1, 10_000), status: statusText('orphan'), cmdline: '' },
    '30': { stat: statLine(30, 'threaded', 'Z', 1, 500, 4), status: statusText('threaded'), cmdline: '' },
    '31': { stat: 'vanished mid-scan' },
    '40': {},
  })
  const rep = await report(proc, { selfPid: 99999 })
  t.equal(rep.count, 3)
  t.equal(rep.exitCode, 1, 'zombies: exit 1')
  t.same(
    rep.zombies.map((z) => [z.pid, z.ppid, z.parentComm, z.comm, z.ageSeconds]),
    [
      [21, 20, 'my app) S 1 (x', 'wor ker)', 100],
      [22, 20, 'my app) S 1 (x', 'worker', 10],
      [23, 1, 'tini', 'orphan', 900],
    ],
  )
  t.same(rep.byParent.map((g) => [g.ppid, g.count, g.pids, g.reaper, g.oldestAgeSeconds]), [
    [20, 2, [21, 22], 'parent', 100],
    [1, 1, [23], 'pid1', 900],
  ])
  t.equal(rep.pid1.knownInit, 'tini')
  t.equal(rep.pid1.looksLikeReaper, false, 'evidence (a 900 s old zombie child) beats the name')
  t.match(rep.pid1.verdict, /^no: PID 1 \(tini\) has 1 zombie child started over 5s ago \(pid 23\): it is not reaping even though it looks like tini/)
  t.match(rep.notes.join('\n'), /main thread exited/)
  t.notMatch(rep.notes.join('\n'), /another PID namespace/, 'no /proc/self in the fake tree: nothing to compare')
  const plain = await text(proc, { selfPid: 99999 })
  t.match(plain, /^3 zombies in this PID namespace/)
  t.match(plain, /^\s+21\s+20\s+my app\) S 1 \(x\s+\[wor ker\)\] <defunct>\s+1m40s$/m)
  t.match(plain, /^\s+23\s+1\s+tini\s+\[orphan\] <defunct>\s+15m00s$/m)
})

t.test('fake /proc: ppid 0, control characters, SIGCHLD ignored', async (t) => {
  const proc = fakeProc(t, {
    '1': {
      stat: statLine(1, 'myapp', 'S', 0, 100),
      status: statusText('myapp', { ign: '0000000000010000' }),
      cmdline: cmd('/app/myapp'),
    },
    '5': { stat: statLine(5, 'evil\x1b[2J', 'Z', 0, 100), status: statusText('evil'), cmdline: '' },
  })
  const rep = await report(proc)
  t.match(rep.zombies, [{ pid: 5, ppid: 0, parentComm: null, comm: 'evil\x1b[2J' }])
  t.match(rep.byParent, [{ ppid: 0, reaper: 'outside-namespace' }])
  t.match(rep.pid1, { ignoresSigchld: true, catchesSigchld: false, looksLikeReaper: true })
  t.match(rep.pid1.verdict, /^yes: PID 1 \(myapp\) ignores SIGCHLD/)
  const plain = await text(proc)
  t.notOk(plain.includes('\x1b'), 'terminal escapes are neutralised')
  t.match(plain, /\[evil\\x1b\[2J\] <defunct>/)
})

t.test('fake /proc: re-check drops transient zombies; survivors of PID 1 are evidence', async (t) => {
  const proc = fakeProc(t, {
    '1': { stat: statLine(1, 'dumb-init', 'S', 0, 100), status: statusText('dumb-init', { cgt: '0000000000010000' }), cmdline: cmd('dumb-init', 'app') },
    '10': { stat: statLine(10, 'app', 'S', 1, 200), status: statusText('app'), cmdline: cmd('app') },
    '11': { stat: statLine(11, 'quick', 'Z', 10, 99_990), status: statusText('quick'), cmdline: '' },
    '12': { stat: statLine(12, 'leaked', 'Z', 10, 99_000), status: statusText('leaked'), cmdline: '' },
    '13': { stat: statLine(13, 'orphan', 'Z', 1, 99_950), status: statusText('orphan'), cmdline: '' },
  })
  t.equal((await report(proc)).pid1.looksLikeReaper, true, 'one scan: a 0.5 s old orphan is not evidence yet')
  // The first scan is taken when report() is called, the second 150 ms later.
  const pending = report(proc, { recheckMs: 150 })
  // Meanwhile: 11 is reaped, 14 appears (seen once: not reported either).
  fs.rmSync(path.join(proc, '11'), { recursive: true })
  fs.mkdirSync(path.join(proc, '14'))
  fs.writeFileSync(path.join(proc, '14', 'stat'), statLine(14, 'newborn', 'Z', 10, 99_999))
  const rep = await pending
  t.same(rep.zombies.map((z) => z.pid), [12, 13])
  t.match(rep.notes.join('\n'), /1 short-lived zombie\(s\) were reaped by their parent within 150ms/)
  t.match(rep.pid1, { knownInit: 'dumb-init', looksLikeReaper: false })
  t.match(rep.pid1.verdict, /^no: PID 1 \(dumb-init\) has 1 zombie child still unreaped after 150ms \(pid 13\): it is not reaping even though/)
  // A pid reused by a different process (other start time) is not the same zombie.
  const again = report(proc, { recheckMs: 100 })
  fs.writeFileSync(path.join(proc, '12', 'stat'), statLine(12, 'leaked', 'Z', 10, 99_500))
  t.same((await again).zombies.map((z) => z.pid), [13, 14])
})

t.test('fake /proc: an empty tree is an error (exit 2), PID 1 unknown', async (t) => {
  const proc = fakeProc(t, {})
  const rep = await report(proc)
  t.equal(rep.exitCode, 2)
  t.equal((rep as unknown as { error: string }).error, `cannot scan ${proc}: no readable process entries (is proc mounted?)`)
  t.equal(rep.count, 0)
  t.match(rep.pid1.verdict, /^unknown:/)
  t.equal(await text(proc), `error: cannot scan ${proc}: no readable process entries (is proc mounted?)\n`)
})

t.test('fake /proc: no zombie, exit 0', async (t) => {
  const proc = fakeProc(t, { '1': { stat: statLine(1, 'tini', 'S', 0, 100), status: statusText('tini'), cmdline: cmd('tini', '--', 'app') } })
  const rep = await report(proc)
  t.equal(rep.exitCode, 0)
  t.same([rep.count, rep.scanned, rep.zombies, rep.byParent], [0, 1, [], []])
  t.match(await text(proc), /^No zombies in this PID namespace \(1 process scanned\)\./)
})

t.test('runZombies writes through out() only and returns the exit code', async (t) => {
  const chunks: string[] = []
  // this machine's /proc, re-checked as the command does
  const code = await runZombies({ json: true, out: (s) => chunks.push(s) })
  t.equal(chunks.length, 1, 'one JSON document, one write')
  const rep = JSON.parse(chunks[0]) as ZombieReport
  t.equal(code, rep.count > 0 ? 1 : 0)
  t.equal(rep.pid1.pid, 1)
  const text: string[] = []
  await runZombies({ json: false, out: (s) => text.push(s) })
  t.match(text.join(''), /^PID 1: /m)
})

// The advice names the probe wrapper only where the zombies'
// sessions show that commands exec'd from outside left them.
const statIn = (pid: number, comm: string, state: string, ppid: number, session: number): string =>
  statLine(pid, comm, state, ppid, 100 + pid).replace(`${ppid} ${pid} ${pid} 0`, `${ppid} ${session} ${session} 0`)

t.test('fake /proc: zombies of PID 1 from exec sessions get the probe-wrapper advice; its own children do not', async (t) => {
  const redis = { status: statusText('redis-server'), cmdline: cmd('redis-server') }
  const cases: [string, Record<string, Record<string, string>>, number][] = [
    // runc exec: each command leads its own session; the leaders (10, 16) are gone
    ['runc exec leftovers', { '1': { stat: statIn(1, 'redis-server', 'S', 0, 1), ...redis }, '15': { stat: statIn(15, 'sleep', 'Z', 1, 10) }, '21': { stat: statIn(21, 'sleep', 'Z', 1, 16) } }, 2],
    // nsenter without setsid: the session's leader is outside the namespace
    ['nsenter leftovers', { '1': { stat: statIn(1, 'redis-server', 'S', 0, 1), ...redis }, '7': { stat: statIn(7, 'sleep', 'Z', 1, 0) } }, 1],
    // PID 1's own child: PID 1's session
    ["PID 1's own child", { '1': { stat: statIn(1, 'redis-server', 'S', 0, 1), ...redis }, '9': { stat: statIn(9, 'redis-rdb-bgsave', 'Z', 1, 1) } }, 0],
    // a child of PID 1's that called setsid() itself: its own session
    ['a setsid child', { '1': { stat: statIn(1, 'redis-server', 'S', 0, 1), ...redis }, '9': { stat: statIn(9, 'worker', 'Z', 1, 9) } }, 0],
    // PID 1 has a live descendant outside its session: a dead daemon of PID 1's could explain session 10 too
    ['PID 1 runs a daemon', { '1': { stat: statIn(1, 'redis-server', 'S', 0, 1), ...redis }, '8': { stat: statIn(8, 'daemon', 'S', 1, 8) }, '15': { stat: statIn(15, 'sleep', 'Z', 1, 10) } }, 0],
    // a hung probe's child still runs beside them, in the same dead session: no daemon of PID 1's
    ['a live leftover too', { '1': { stat: statIn(1, 'redis-server', 'S', 0, 1), ...redis }, '30': { stat: statIn(30, 'sleep', 'S', 1, 10) }, '15': { stat: statIn(15, 'sleep', 'Z', 1, 10) } }, 1],
    // the session's leader still runs (a live exec session): not a leftover yet
    ['leader alive', { '1': { stat: statIn(1, 'redis-server', 'S', 0, 1), ...redis }, '10': { stat: statIn(10, 'sh', 'S', 0, 10) }, '15': { stat: statIn(15, 'sleep', 'Z', 1, 10) } }, 0],
    // PID 1 itself in a session from outside (unshare): session 0 tells nothing
    ['PID 1 in an outside session', { '1': { stat: statIn(1, 'sleep', 'S', 0, 0), status: statusText('sleep'), cmdline: cmd('sleep', 'infinity') }, '7': { stat: statIn(7, 'sleep', 'Z', 1, 0) } }, 0],
  ]
  for (const [name, entries, expected] of cases) {
    const rep = await report(fakeProc(t, entries), { selfPid: 99999 })
    const g = rep.byParent.find((x) => x.ppid === 1)
    t.equal(g?.probeLeftovers, expected, `${name}: ${expected} told as probe leftovers`)
    if (expected > 0) t.match(g?.advice, /exec'd into the container.*wrap each probe: tini-ts -s --timeout/, `${name}: advice names the wrapper`)
    else t.notMatch(g?.advice, /wrap each probe/, `${name}: advice as before`)
  }
})
