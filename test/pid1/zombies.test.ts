// --zombies inspector, end to end: real zombies in a fresh PID namespace
// (unshare --pid --fork --mount-proc, needs root), inspected from inside,
// as root and as nobody; plus the report logic on a fake /proc tree.
import t from 'tap'
import { spawnSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { execa } from 'execa'
import {
  collectZombieReport,
  collectZombieReportConfirmed,
  formatZombieText,
  identifyInit,
  runZombies,
} from '../../src/inspect/zombies'
import type { ZombieReport } from '../../src/inspect/zombies'
import { publicCopy } from '../helpers/tini'

const ROOT = path.resolve(__dirname, '..', '..')
// The runner fixture requires the compiled lib/inspect/zombies.js. tsc emits even if
// someone else's file in src/ does not type-check, so its status is ignored.
spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' })
if (!fs.existsSync(path.join(ROOT, 'lib', 'inspect', 'zombies.js'))) throw new Error('lib/inspect/zombies.js was not built')
// Parts of these runs are nobody's: they use a world-readable copy of what
// they need, since the checkout may sit in a 0700 directory (publicCopy).
const PUBLIC = publicCopy(['lib', 'test/fixtures', process.execPath])
const FIXTURE = path.join(PUBLIC, 'test', 'fixtures', 'leaky-parent.sh')
const RUNNER = path.join(PUBLIC, 'test', 'fixtures', 'run-zombies.js')
const NODE = path.join(PUBLIC, path.basename(process.execPath))
const AS_NOBODY = 'setpriv --reuid=65534 --regid=65534 --clear-groups'

/**
 * A clean environment for everything we spawn: tap puts --import hooks in
 * NODE_OPTIONS that make child node processes write into .tap/ (EACCES as
 * nobody) and would be inherited by the processes under test. (tap adds
 * NODE_OPTIONS back when spawning, hence also NO_TAP below.)
 */
const ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
}

/** tap's processinfo re-injects NODE_OPTIONS (--import hooks) into spawned children: drop it. */
const NO_TAP = ['env', '-u', 'NODE_OPTIONS']

const which = (cmd: string): boolean =>
  (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => fs.existsSync(path.join(d, cmd)))
const isRoot = process.getuid?.() === 0
const canUnshare = isRoot && which('unshare')

interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * Shell preamble run inside the namespace. `leak` starts the leaky parent in
 * the background (as the current user) and waits until its child is a
 * zombie; the "PARENT CHILD" pids land in $D/pids.
 */
const PRELUDE = `
set -u
D="$1"
leak() {
  LEAKY_DIR="$D/bin-$(id -u)" sh "${FIXTURE}" 300 > "$D/pids.tmp" &
  i=0
  while [ $i -lt 600 ]; do
    if { read p c < "$D/pids.tmp"; } 2>/dev/null && [ -n "\${c:-}" ] &&
       [ "$(cut -d' ' -f3 /proc/$c/stat 2>/dev/null)" = Z ]; then
      cp "$D/pids.tmp" "$D/pids"; return 0
    fi
    sleep 0.05; i=$((i+1))
  done
  echo "leak: no zombie appeared" >&2; exit 99
}
inspect() { "${NODE}" "${RUNNER}" "$@"; }
`

/** Run `script` (sh) as PID 1's child in a new PID namespace; `init` is prepended (e.g. ['tini', '-s', '--']). */
async function inNamespace(dir: string, script: string, init: string[] = []): Promise<Run> {
  const r = await execa('unshare', ['--pid', '--fork', '--mount-proc', ...NO_TAP, ...init, 'sh', '-c', PRELUDE + script, 'ns', dir], {
    cwd: ROOT,
    env: ENV,
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
  })
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
}

function pids(dir: string): { parent: number; child: number } {
  const [parent, child] = fs.readFileSync(path.join(dir, 'pids'), 'utf8').trim().split(/\s+/).map(Number)
  return { parent, child }
}

function testdir(t: tap.Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tini-ts-zombies-'))
  fs.chmodSync(dir, 0o777) // nobody writes pids and symlinks here
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function json(t: tap.Test, r: Run): ZombieReport {
  try {
    return JSON.parse(r.stdout) as ZombieReport
  } catch (e) {
    t.fail(`not JSON: ${r.stdout}\n${r.stderr}`)
    throw e
  }
}

const nsOpts = { skip: canUnshare ? false : 'needs root and unshare(1)' }

t.test('leaky parent, text output', nsOpts, async (t) => {
  const dir = testdir(t)
  const r = await inNamespace(dir, 'leak; inspect')
  const { parent, child } = pids(dir)
  t.equal(r.exitCode, 1, 'exit 1 when there are zombies')
  t.equal(r.stderr, '')
  t.match(r.stdout, /^1 zombie in this PID namespace/)
  t.match(r.stdout, new RegExp(`^\\s+${child}\\s+${parent}\\s+leaky-parent\\s+\\[leaky-child\\] <defunct>\\s+\\d+\\.\\ds$`, 'm'))
  t.match(r.stdout, new RegExp(`^\\s+${parent} leaky-parent \\[\\S+/leaky-parent 300\\]: 1 zombie \\(pid ${child};`, 'm'))
  t.match(r.stdout, `pid ${parent} (leaky-parent) leaks 1 zombie: it must wait()`)
  t.match(r.stdout, /^PID 1: sh \[sh -c /m)
  t.match(r.stdout, /known init: no\s+SIGCHLD caught: yes/)
})

t.test('leaky parent, JSON output', nsOpts, async (t) => {
  const dir = testdir(t)
  const r = await inNamespace(dir, 'leak; inspect --json')
  const { parent, child } = pids(dir)
  t.equal(r.exitCode, 1)
  const rep = json(t, r)
  t.equal(rep.count, 1)
  t.equal(rep.zombies.length, 1)
  t.match(rep.zombies[0], { pid: child, ppid: parent, parentComm: 'leaky-parent', comm: 'leaky-child' })
  t.ok(typeof rep.zombies[0].ageSeconds === 'number' && rep.zombies[0].ageSeconds >= 0 && rep.zombies[0].ageSeconds < 30)
  t.equal(rep.byParent.length, 1)
  t.match(rep.byParent[0], { ppid: parent, parentComm: 'leaky-parent', count: 1, pids: [child], reaper: 'parent', parentState: 'S' })
  t.match(rep.byParent[0].parentCmdline, [/\/leaky-parent$/, '300'])
  t.match(rep.pid1, { pid: 1, comm: 'sh', knownInit: null, catchesSigchld: true, ignoresSigchld: false })
  t.match(rep.pid1.verdict, /^probably: PID 1 \(sh\) is a shell/)
  t.same(Object.keys(rep).slice(0, 4), ['zombies', 'byParent', 'pid1', 'count'])
})

t.test('control: no zombie, exit 0', nsOpts, async (t) => {
  const dir = testdir(t)
  const text = await inNamespace(dir, 'inspect')
  t.equal(text.exitCode, 0)
  t.match(text.stdout, /^No zombies in this PID namespace \(\d+ process(es)? scanned\)\./)
  t.match(text.stdout, /^PID 1: sh/m)
  const js = await inNamespace(dir, 'inspect --json')
  t.equal(js.exitCode, 0)
  const rep = json(t, js)
  t.equal(rep.count, 0)
  t.same(rep.zombies, [])
  t.same(rep.byParent, [])
  t.equal(rep.pid1.comm, 'sh')
})

t.test('non-root inspector sees root-owned zombies (plain /proc)', nsOpts, async (t) => {
  const dir = testdir(t)
  const r = await inNamespace(dir, `leak; ${AS_NOBODY} "${NODE}" "${RUNNER}" --json`)
  const { parent, child } = pids(dir)
  t.equal(r.exitCode, 1, r.stderr)
  const rep = json(t, r)
  t.match(rep.zombies, [{ pid: child, ppid: parent, parentComm: 'leaky-parent', comm: 'leaky-child' }])
  t.equal(rep.pid1.comm, 'sh', '/proc/1/stat and status are world-readable')
  t.equal(rep.pid1.catchesSigchld, true)
})

t.test('everything as nobody', nsOpts, async (t) => {
  const dir = testdir(t)
  // PID 1 stays root (sh); leaky parent, zombie and inspector all run as nobody.
  const r = await inNamespace(dir, `${AS_NOBODY} sh -c '${PRELUDE.replace(/'/g, `'\\''`)} leak; inspect' ns "$D"`)
  const { parent, child } = pids(dir)
  t.equal(r.exitCode, 1, r.stderr)
  t.match(r.stdout, new RegExp(`^\\s+${child}\\s+${parent}\\s+leaky-parent\\s+\\[leaky-child\\]`, 'm'))
})

t.test('hidepid=invisible: unreadable entries are skipped, no crash', nsOpts, async (t) => {
  const dir = testdir(t)
  // Root's zombie is invisible to nobody: nothing to report, and PID 1 is unknown.
  const hidden = await inNamespace(dir, `mount -t proc -o hidepid=invisible proc /proc && leak && ${AS_NOBODY} "${NODE}" "${RUNNER}" --json`)
  t.equal(hidden.exitCode, 0, hidden.stderr)
  const rep = json(t, hidden)
  t.equal(rep.count, 0)
  t.equal(rep.pid1.comm, null)
  t.equal(rep.pid1.looksLikeReaper, false)
  t.match(rep.pid1.verdict, /^unknown: \/proc\/1 is not readable/)
  t.match(rep.notes.join('\n'), /hidepid/)
  // nobody's own zombie is visible to nobody.
  const dir2 = testdir(t)
  const own = await inNamespace(
    dir2,
    `mount -t proc -o hidepid=invisible proc /proc && ${AS_NOBODY} sh -c '${PRELUDE.replace(/'/g, `'\\''`)} leak; inspect' ns "$D"`,
  )
  const { parent, child } = pids(dir2)
  t.equal(own.exitCode, 1, own.stderr)
  t.match(own.stdout, new RegExp(`^\\s+${child}\\s+${parent}\\s+leaky-parent\\s+\\[leaky-child\\]`, 'm'))
  t.match(own.stdout, /reaper: unknown: /)
  t.match(own.stdout, /and whether PID 1 reaps them is unknown/)
})

t.test('tini as PID 1: known init, zombie of a live parent still reported', { skip: !canUnshare ? 'needs root' : !which('tini') ? 'tini not installed' : false }, async (t) => {
  const dir = testdir(t)
  const r = await inNamespace(dir, 'leak; inspect --json', ['tini', '-s', '--'])
  const { parent, child } = pids(dir)
  t.equal(r.exitCode, 1, r.stderr)
  const rep = json(t, r)
  t.match(rep.zombies, [{ pid: child, ppid: parent, parentComm: 'leaky-parent' }])
  t.match(rep.pid1, { comm: 'tini', knownInit: 'tini', looksLikeReaper: true })
  t.match(rep.pid1.verdict, /^yes: PID 1 \(tini\) is tini/)
  t.match(rep.byParent[0].advice, /and PID 1 looks like a reaper/)
  // An orphan that exits is adopted and reaped by tini: nothing left.
  const orphan = await inNamespace(dir, '(sleep 0.2 &); sleep 1; inspect', ['tini', '-s', '--'])
  t.equal(orphan.exitCode, 0, orphan.stdout)
})

t.test('dumb-init as PID 1', { skip: !canUnshare ? 'needs root' : !which('dumb-init') ? 'dumb-init not installed' : false }, async (t) => {
  const dir = testdir(t)
  const r = await inNamespace(dir, 'inspect --json', ['dumb-init', '--'])
  t.equal(r.exitCode, 0, r.stderr)
  t.match(json(t, r).pid1, { comm: 'dumb-init', knownInit: 'dumb-init', catchesSigchld: true, looksLikeReaper: true })
})

t.test('tini-ts (node bin/tini-ts, the npm route) as PID 1', { skip: !canUnshare ? 'needs root' : false }, async (t) => {
  if (!fs.existsSync(path.join(ROOT, 'lib', 'entry.js'))) {
    t.comment('lib/entry.js not built: nothing to test')
    return
  }
  const dir = testdir(t)
  const r = await inNamespace(dir, 'inspect --json', [NODE, 'bin/tini-ts', '--'])
  t.equal(r.exitCode, 0, r.stderr)
  t.match(json(t, r).pid1, { knownInit: 'tini-ts', looksLikeReaper: true })
})

t.test('orphan adopted by a PID 1 that never reaps (nsenter)', { skip: canUnshare && which('nsenter') ? false : 'needs root, unshare, nsenter' }, async (t) => {
  // PID 1 becomes `sleep` (which never waits) after a child of a subshell has
  // been orphaned: that orphan exits and stays a zombie of PID 1.
  const ns = execa('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', '(sleep 0.3 &); exec sleep 60'], {
    env: ENV,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  })
  let pid1 = 0
  t.teardown(async () => {
    // Killing the namespace's init kills everything in it; --kill-child covers unshare dying first.
    if (pid1 > 0) {
      try {
        process.kill(pid1, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    ns.kill('SIGKILL')
    await ns
  })
  for (let i = 0; i < 100 && !pid1; i++) {
    await new Promise((r) => setTimeout(r, 50))
    try {
      pid1 = Number(fs.readFileSync(`/proc/${ns.pid}/task/${ns.pid}/children`, 'utf8').trim().split(/\s+/)[0]) || 0
    } catch {
      pid1 = 0
    }
  }
  t.ok(pid1 > 0, 'found the namespace init')
  let r: Run = { exitCode: -1, stdout: '', stderr: '' }
  for (let i = 0; i < 50; i++) {
    const x = await execa('nsenter', ['-t', String(pid1), '-p', '-m', ...NO_TAP, NODE, RUNNER, '--json'], {
      env: ENV,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    })
    r = { exitCode: x.exitCode ?? -1, stdout: String(x.stdout), stderr: String(x.stderr) }
    if (r.exitCode === 1) break
    await new Promise((res) => setTimeout(res, 100))
  }
  t.equal(r.exitCode, 1, r.stderr)
  const rep = json(t, r)
  t.match(rep.zombies, [{ ppid: 1, parentComm: 'sleep', comm: 'sleep' }])
  t.match(rep.byParent, [{ ppid: 1, reaper: 'pid1', parentCmdline: ['sleep', '60'] }])
  t.match(rep.byParent[0].advice, /PID 1 \(sleep\) is the parent of 1 zombie .* it does not: run an init/)
  t.match(rep.pid1, { comm: 'sleep', knownInit: null, catchesSigchld: false, ignoresSigchld: false, looksLikeReaper: false })
  t.match(rep.pid1.verdict, /^no: /)
})

// ---------------------------------------------------------------------------
// Report logic on a fake /proc tree (no privileges needed).

const statLine = (pid: number, comm: string, state: string, ppid: number, starttime: number, threads = 1): string =>
  `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 ${threads} 0 ${starttime} 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`
const statusText = (name: string, masks: { cgt?: string; ign?: string; blk?: string } = {}): string =>
  `Name:\t${name}\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\nSigBlk:\t${masks.blk ?? '0000000000000000'}\n` +
  `SigIgn:\t${masks.ign ?? '0000000000000000'}\nSigCgt:\t${masks.cgt ?? '0000000000000000'}\n`
const cmd = (...argv: string[]): string => argv.join('\0') + '\0'

function fakeProc(t: tap.Test, entries: Record<string, Record<string, string>>, uptime = 1000): string {
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
  const rep = collectZombieReport({ procRoot: proc, selfPid: 99999 })
  t.equal(rep.count, 3)
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
  const text = formatZombieText(rep)
  t.match(text, /^3 zombies in this PID namespace/)
  t.match(text, /^\s+21\s+20\s+my app\) S 1 \(x\s+\[wor ker\)\] <defunct>\s+1m40s$/m)
  t.match(text, /^\s+23\s+1\s+tini\s+\[orphan\] <defunct>\s+15m00s$/m)
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
  const rep = collectZombieReport({ procRoot: proc })
  t.match(rep.zombies, [{ pid: 5, ppid: 0, parentComm: null, comm: 'evil\x1b[2J' }])
  t.match(rep.byParent, [{ ppid: 0, reaper: 'outside-namespace' }])
  t.match(rep.pid1, { ignoresSigchld: true, catchesSigchld: false, looksLikeReaper: true })
  t.match(rep.pid1.verdict, /^yes: PID 1 \(myapp\) ignores SIGCHLD/)
  const text = formatZombieText(rep)
  t.notOk(text.includes('\x1b'), 'terminal escapes are neutralised')
  t.match(text, /\[evil\\x1b\[2J\] <defunct>/)
})

t.test('fake /proc: re-check drops transient zombies; survivors of PID 1 are evidence', async (t) => {
  const proc = fakeProc(t, {
    '1': { stat: statLine(1, 'dumb-init', 'S', 0, 100), status: statusText('dumb-init', { cgt: '0000000000010000' }), cmdline: cmd('dumb-init', 'app') },
    '10': { stat: statLine(10, 'app', 'S', 1, 200), status: statusText('app'), cmdline: cmd('app') },
    '11': { stat: statLine(11, 'quick', 'Z', 10, 99_990), status: statusText('quick'), cmdline: '' },
    '12': { stat: statLine(12, 'leaked', 'Z', 10, 99_000), status: statusText('leaked'), cmdline: '' },
    '13': { stat: statLine(13, 'orphan', 'Z', 1, 99_950), status: statusText('orphan'), cmdline: '' },
  })
  t.equal(collectZombieReport({ procRoot: proc }).pid1.looksLikeReaper, true, 'one scan: a 0.5 s old orphan is not evidence yet')
  const pending = collectZombieReportConfirmed({ procRoot: proc, recheckMs: 150 })
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
  const again = collectZombieReportConfirmed({ procRoot: proc, recheckMs: 100 })
  fs.writeFileSync(path.join(proc, '12', 'stat'), statLine(12, 'leaked', 'Z', 10, 99_500))
  t.same((await again).zombies.map((z) => z.pid), [13, 14])
})

t.test('fake /proc: empty tree gives an empty report, PID 1 unknown', async (t) => {
  const rep = collectZombieReport({ procRoot: fakeProc(t, {}) })
  t.equal(rep.scanned, 0)
  t.equal(rep.count, 0)
  t.match(rep.pid1.verdict, /^unknown:/)
})

t.test('identifyInit', async (t) => {
  const cases: Array<[string | null, string[] | null, string | null]> = [
    ['tini', ['/sbin/tini', '--', 'x'], 'tini'],
    ['docker-init', ['/sbin/docker-init', '--', 'x'], 'docker-init (tini)'],
    ['dumb-init', ['/usr/bin/dumb-init', 'x'], 'dumb-init'],
    ['catatonit', ['/catatonit', '-P'], 'catatonit'],
    ['systemd', ['/sbin/init'], 'systemd'],
    ['s6-svscan', ['s6-svscan', '-t0', '/var/run/s6/services'], 's6-svscan'],
    ['runit', ['runit'], 'runit'],
    ['openrc-init', ['/sbin/openrc-init'], 'openrc-init'],
    ['pause', ['/pause'], 'pause'],
    ['tini-ts', ['tini-ts', '--', 'x'], 'tini-ts'],
    ['node', ['node', '/usr/lib/node_modules/tini-ts/bin/tini-ts', '--', 'x'], 'tini-ts'],
    ['node', ['/usr/local/bin/node', '/opt/tini-ts/lib/main.js', '--', 'x'], 'tini-ts'],
    ['node', ['node', '--enable-source-maps', '/srv/tini-ts/lib/main.js'], 'tini-ts'],
    ['python3', ['/usr/bin/python3', '-u', '/sbin/my_init'], 'my_init'],
    ['node', ['node', 'server.js'], null],
    ['sh', ['sh', '-c', 'tini is not here'], null],
    ['bash', ['-bash'], null],
    ['sleep', ['sleep', '60'], null],
    [null, null, null],
    ['java', [], null],
  ]
  for (const [comm, argv, want] of cases) t.equal(identifyInit(comm, argv), want, `${comm} ${JSON.stringify(argv)}`)
  // A relative node script is resolved against /proc/1/cwd (or our cwd) and
  // its package.json: this checkout is named tini-ts.
  const proc = t.testdir({ '1': {} })
  fs.symlinkSync(ROOT, path.join(proc, '1', 'cwd'))
  t.equal(identifyInit('node', ['node', 'lib/main.js', '--', 'x'], path.join(proc, '1')), 'tini-ts')
  t.equal(identifyInit('node', ['node', 'lib/main.js'], path.join(t.testdir({}), 'nope')), 'tini-ts', 'falls back to our cwd')
})

t.test('runZombies writes through out() only and returns the exit code', async (t) => {
  const chunks: string[] = []
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
    const rep = collectZombieReport({ procRoot: fakeProc(t, entries), selfPid: 99999 })
    const g = rep.byParent.find((x) => x.ppid === 1)
    t.equal(g?.probeLeftovers, expected, `${name}: ${expected} told as probe leftovers`)
    if (expected > 0) t.match(g?.advice, /exec'd into the container.*wrap each probe: tini-ts -s --timeout/, `${name}: advice names the wrapper`)
    else t.notMatch(g?.advice, /wrap each probe/, `${name}: advice as before`)
  }
})
