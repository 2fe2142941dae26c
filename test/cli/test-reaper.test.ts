// The suite's leak check (test/helpers/reaper.py, test/helpers/leftovers.ts)
// catches a deliberate leak: a double-forked, setsid'd sleep that escapes
// its parent is re-parented to the reaper, listed by leftovers(), and killed
// by the reaper when its command ends (which then exits 1, naming it).
// Control: the same leak under a plain shell escapes to the machine's init.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { leftovers, settledLeftovers } from '../helpers/leftovers'
import { children, procStat, REPO, waitFor } from '../helpers/tini'

const REAPER = join(REPO, 'test', 'helpers', 'reaper.py')
// the leak (its pid on a line), then wait for stdin to close
const LEAK = `(setsid sh -c 'echo "leaked $$"; exec sleep 300 </dev/null >/dev/null 2>&1' &); read x`
const leakedPid = (out: string) => Number(/leaked (\d+)/.exec(out)?.[1] ?? 0)

// without this run's tap settings (TAP_*, its loaders in NODE_OPTIONS)
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TAP|NODE_OPTIONS|TINI_TS_TEST_REAPER)/.test(k)))

function run(argv: string[]) {
  const p = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: ENV })
  let out = ''
  let err = ''
  p.stdout.on('data', (d) => (out += d))
  p.stderr.on('data', (d) => (err += d))
  const done = new Promise<number | null>((r) => p.on('exit', (code) => r(code)))
  return { p, out: () => out, err: () => err, done }
}

t.test('a process left running is re-parented to the reaper, listed, then killed; the run fails', async (t) => {
  const r = run(['/usr/bin/python3', REAPER, 'sh', '-c', LEAK])
  t.teardown(() => r.p.kill('SIGKILL'))
  const pid = await waitFor('the leak', () => leakedPid(r.out()))
  const sh = await waitFor('the shell', () => children(r.p.pid as number).find((c) => c.comm === 'sh' && c.pid !== pid))
  const sleeper = await waitFor('the sleep, re-parented to the reaper', () => leftovers(r.p.pid as number, [sh.pid]).find((c) => c.pid === pid && c.comm === 'sleep'))
  t.equal(procStat(sleeper.pid)?.ppid, r.p.pid, 'its parent is the reaper')
  r.p.stdin.end() // the command ends; the sleep is still there
  t.equal(await r.done, 1, 'the reaper exits 1: the command succeeded but left a process')
  t.match(r.err(), new RegExp(`reaper: 1 process\\(es\\) left behind, killed:\\n.*${sleeper.pid} sleep 300`), 'named on stderr')
  t.equal(procStat(sleeper.pid), undefined, 'and gone')
})

t.test('nothing left: the command\'s status, nothing said, no leftover listed', async (t) => {
  const r = run(['/usr/bin/python3', REAPER, 'sh', '-c', '(sleep 0.1 &); echo "$TINI_TS_TEST_REAPER"; exit 3'])
  t.equal(await r.done, 3)
  t.equal(r.out().trim(), String(r.p.pid), 'the command knows the reaper')
  t.equal(r.err(), '')
  t.same(await settledLeftovers(r.p.pid as number, [], 100), [])
})

t.test('control: without the reaper, the same leak escapes to the machine\'s init', async (t) => {
  const r = run(['sh', '-c', LEAK])
  t.teardown(() => r.p.kill('SIGKILL'))
  const pid = await waitFor('the leak', () => leakedPid(r.out()))
  t.teardown(() => process.kill(pid, 'SIGKILL'))
  await waitFor('the sleep', () => procStat(pid)?.comm === 'sleep')
  r.p.stdin.end()
  await r.done
  t.equal(procStat(pid)?.comm, 'sleep', 'still running after its shell ended')
  t.not(procStat(pid)?.ppid, r.p.pid, 'and not our child')
})

t.test("a tier's last test fails naming what an earlier file of the tier left running", async (t) => {
  // a two-file tier in the repository (tap and its loaders resolve from here)
  const dir = mkdtempSync(join(REPO, 'test', '.leak-control-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'leak.test.ts'), [
    "import t from 'tap'",
    "import { spawnSync } from 'node:child_process'",
    "const r = spawnSync('sh', ['-c', `(setsid sh -c 'echo $$; exec sleep 300 </dev/null >/dev/null 2>&1' &)`], { encoding: 'utf8' })",
    "t.comment(`leaked ${r.stdout.trim()}`)",
    "t.pass('started and left a sleep')",
  ].join('\n') + '\n')
  writeFileSync(join(dir, 'zz-leftovers.test.ts'), `import { checkTier } from '${join(REPO, 'test', 'helpers', 'leftovers')}'\ncheckTier('control')\n`)
  const tap = join(REPO, 'node_modules', '.bin', 'tap')
  const r = run(['/usr/bin/python3', REAPER, tap, '--reporter=tap', '--jobs=1', '--disable-coverage', '--allow-incomplete-coverage', join(dir, 'leak.test.ts'), join(dir, 'zz-leftovers.test.ts')])
  t.teardown(() => r.p.kill('SIGKILL'))
  const code = await r.done
  const pid = Number(/# leaked (\d+)/.exec(r.out())?.[1] ?? 0)
  t.ok(pid > 0, 'the first file leaked a sleep')
  t.match(r.out(), /not ok \d+ - the control tier left no process running/, 'the tier check fails', { output: r.out() })
  t.match(r.out(), new RegExp(`"${pid} sleep 300"`), 'naming the leaked process')
  t.not(code, 0, 'the run fails')
  t.equal(procStat(pid), undefined, 'the check killed it')
  t.notMatch(r.err(), /reaper: \d+ process\(es\) left behind/, 'nothing left for the reaper at the end')
})
