// --zombies inspector, end to end: real zombies in a fresh PID namespace
// (unshare --pid --fork --mount-proc, needs root), inspected from inside,
// as root and as nobody, under a shell, tini, dumb-init and tini-ts as PID 1.
// The report's logic on a fake /proc is test/unit/inspect/zombies.test.ts.
import t from 'tap'
import { spawnSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { execa } from 'execa'
import type { ZombieReport } from '../../src/inspect/zombie-types'
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
