// A full pids cgroup must not bring the init down. The
// program fills every free pid with sleepers, half of them orphaned onto the
// init, which then exit one by one while the cgroup is all but full. Before,
// the first log line then made libuv create its thread pool, which abort()s
// when no pid is free: PID 1 died and left the cgroup full of processes. Now
// nothing in the run path needs a new thread or process except the spawn.
import t from 'tap'
import { join } from 'node:path'
import { makePidsCgroup, pidsCgroupUnavailable } from '../helpers/cgroup'
import { FIXTURES, haveBinary, tiniArgv, waitFor } from '../helpers/tini'
import { CRASH_TEXT, run } from '../helpers/run'

const FILL = join(FIXTURES, 'fill-pids.py')
const PIDS_MAX = 40
const skip = pidsCgroupUnavailable() ?? (haveBinary('python3') ? false : 'needs python3')

const MODES: [string, string[]][] = [
  ['plain', []],
  ['-w', ['-w']],
  ['-vv', ['-vv']],
  ['--log-format json -v', ['--log-format', 'json', '-v']],
]

async function scenario(t: Tap.Test, args: string[], opts: { pid1?: boolean; hang?: boolean } = {}) {
  const cg = makePidsCgroup(PIDS_MAX)
  t.teardown(() => cg.remove())
  const init = tiniArgv([...(opts.pid1 ? [] : ['-s']), ...args, '--', 'python3', FILL, '1', '7', ...(opts.hang ? ['hang'] : [])])
  const argv = cg.wrap(opts.pid1 ? ['unshare', '--pid', '--fork', '--mount-proc', ...init] : init)
  const r = await run(argv, 90_000)
  t.match(r.stdout, /still full: True/, `the cgroup was full (${r.stdout.trim()})`)
  t.notOk(r.timedOut, 'the init did not hang')
  t.equal(r.signal, null, 'the init was not killed by a signal')
  t.equal(r.code, opts.hang ? 124 : 7, opts.hang ? 'exit 124 after --timeout' : "exit with the program's status")
  t.notMatch(r.stderr, CRASH_TEXT, 'no abort, crash text or stack on stderr')
  const orphans = Number(/full: (\d+) orphans/.exec(r.stdout)?.[1] ?? 0)
  if (args.includes('-w')) {
    const reaped = r.stderr.split('\n').filter((l) => l.includes('Reaped zombie')).length
    t.ok(reaped >= orphans && orphans > 0, `every orphan reaped and logged (${reaped} lines, ${orphans} orphans)`)
  }
  // Nothing left behind: the init reaped (or with --cleanup/--timeout,
  // terminated and reaped) everything before it exited.
  await waitFor('an empty cgroup', () => cg.procs().length === 0, 5_000).then(
    () => t.pass('no process left in the cgroup'),
    () => t.fail(`processes left in the cgroup: ${cg.procs().join(' ')}`),
  )
  if (r.code !== (opts.hang ? 124 : 7)) t.comment(r.stderr.slice(-2000))
}

t.test('program fills the pids cgroup, orphans exit into the init', { skip }, async (t) => {
  for (const [name, args] of MODES) await t.test(name, (t) => scenario(t, args))
})

t.test('the same as PID 1 (unshare --pid), -w', { skip }, (t) => scenario(t, ['-w'], { pid1: true }))

t.test('--cleanup --timeout with the cgroup full', { skip }, async (t) => {
  for (const [name, args] of MODES) {
    await t.test(name, (t) => scenario(t, ['--cleanup', '--timeout', '4s', ...args], { hang: true }))
  }
})
