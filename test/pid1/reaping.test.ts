// PID-1 tier: tini-ts as PID 1 of a fresh PID namespace
// (`unshare --pid --fork --mount-proc`): orphan storms drained, statuses
// passed through, signals from outside the namespace forwarded. Each "does
// not happen" has a control showing that it does without tini-ts.
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'
import { LOG_MODES } from '../helpers/log-modes'
import { children, FIXTURES, killTree, procStat, sleep, tiniArgv, waitFor } from '../helpers/tini'

const STORM = join(FIXTURES, 'orphan-storm.py')
const PS = join(FIXTURES, 'print-signals.py')
const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc']

function ns(t: any, argv: string[], timeout = 180_000) {
  const p = execa(UNSHARE[0], [...UNSHARE.slice(1), ...argv], { reject: false, timeout, stdin: 'ignore' })
  t.teardown(() => killTree(p.pid))
  return p
}

t.test('control: a PID 1 that never reaps keeps every orphan as a zombie', async (t) => {
  const r = await ns(t, ['python3', STORM, '300', 'drain', '5'])
  t.equal(r.exitCode, 3, 'the orphans were never reaped')
  t.equal(r.stdout, 'zombies=300', 'all 300 orphans are zombies')
})

// In every logging mode (test/helpers/log-modes.ts); the storm is smaller in
// the logging modes, to keep the runtime reasonable.
for (const mode of LOG_MODES) {
  const n = mode.flags.length === 0 ? 3000 : 1000
  t.test(`tini-ts as PID 1 drains an orphan storm of ${n} (mode ${mode.name})`, async (t) => {
    const r = await ns(t, [...tiniArgv([...mode.flags, '--', 'sh', '-c', `echo ppid=$PPID; exec python3 ${STORM} ${n} drain 120`])])
    t.equal(r.stdout, 'ppid=1\nzombies=0', 'the program\'s parent is PID 1 (tini-ts); no orphan, zombie or not, is left')
    t.equal(r.exitCode, 0, 'and the program\'s status came through')
    if (mode.flags.length === 0) t.equal(r.stderr, '', 'no warning as PID 1')
    if (mode.name === '-w') t.ok(r.stderr.split('\n').filter((l) => l.includes('Reaped zombie process')).length > 0, 'reaped orphans are reported')
    if (mode.name.startsWith('json')) for (const l of r.stderr.split('\n').filter(Boolean)) t.doesNotThrow(() => JSON.parse(l), 'every log line is JSON')
  })

  t.test(`tini-ts -s as subreaper (not PID 1) drains a storm too (mode ${mode.name})`, async (t) => {
    const m = mode.flags.length === 0 ? 2000 : 700
    const r = await ns(t, ['sh', '-c', `${tiniArgv(['-s', ...mode.flags, '--', 'python3', STORM, String(m), 'drain', '120']).join(' ')} 2>/dev/null; echo init-exit=$?`])
    t.equal(r.stdout, 'zombies=0\ninit-exit=0')
  })
}

t.test('exit statuses through the namespace', async (t) => {
  t.equal((await ns(t, tiniArgv(['--', 'sh', '-c', 'exit 7']))).exitCode, 7)
  t.equal((await ns(t, tiniArgv(['--', 'sh', '-c', 'kill -TERM $$']))).exitCode, 143)
  t.equal((await ns(t, tiniArgv(['-e', '7', '--', 'sh', '-c', 'exit 7']))).exitCode, 0)
  t.equal((await ns(t, tiniArgv(['--', '/nonexistent']))).exitCode, 127)
})

t.test('signals from outside the namespace reach the program through PID 1', async (t) => {
  const p = execa(UNSHARE[0], [...UNSHARE.slice(1), ...tiniArgv(['--', 'python3', PS, '15'])], { reject: false, timeout: 120_000, stdin: 'ignore' })
  t.teardown(() => killTree(p.pid))
  const lines: string[] = []
  p.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)))
  await waitFor('ready', () => lines.some((l) => l.startsWith('ready')))
  const init = (await waitFor('init', () => children(p.pid as number)[0])).pid
  t.ok(children(init).some((c) => c.comm.startsWith('python')), 'the program is a child of the namespace\'s PID 1')
  for (const [sig, num] of [['SIGUSR1', 10], ['SIGHUP', 1], [36, 36]] as [NodeJS.Signals | number, number][]) {
    process.kill(init, sig)
    await waitFor(`${sig}`, () => lines.some((l) => l.startsWith(`${num} `)))
  }
  process.kill(init, 'SIGTERM')
  const r = await p
  t.equal(lines[lines.length - 1], '15 SIGTERM', 'SIGTERM from outside forwarded')
  t.equal(r.exitCode, 0, 'program exited 0 on it; PID 1 with it')
})

t.test('control: PID 1 without an init ignores SIGTERM from outside', async (t) => {
  const p = execa(UNSHARE[0], [...UNSHARE.slice(1), 'sleep', '300'], { reject: false, timeout: 60_000, stdin: 'ignore' })
  t.teardown(() => killTree(p.pid))
  const pid1 = (await waitFor('sleep', () => children(p.pid as number).find((c) => c.comm === 'sleep'))).pid
  process.kill(pid1, 'SIGTERM')
  await sleep(500)
  t.ok(procStat(pid1) && procStat(pid1)?.state !== 'Z', 'sleep as PID 1 is still running')
  process.kill(pid1, 'SIGKILL')
  await p
})
