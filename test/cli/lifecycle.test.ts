// --timeout, --grace, --cleanup, --rewrite, -P, run as users run them.
// Every "nothing is left" assertion has a control showing that, without the
// option, something is left (tini's behaviour).
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tiniArgv, waitFor } from '../helpers/tini'
import { listPids, readCmdline, readStat } from '../../src/lib/proc'

/** Live (non-zombie) processes whose command line contains marker. */
function withMarker(marker: string): number[] {
  const out: number[] = []
  for (const pid of listPids()) {
    const cmd = readCmdline(pid)?.join(' ')
    const state = readStat(pid)?.state
    if (cmd?.includes(marker) && state !== undefined && state !== 'Z') out.push(pid)
  }
  return out
}

function killMarked(marker: string): void {
  for (const pid of withMarker(marker)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
}

let n = 0
/** A sleep duration unique to this test, so its processes can be found. */
const marker = () => `3${++n}.${process.pid % 1000}${Math.floor(Math.random() * 1000)}`

/** Runs tini-ts to the end. Survivors must not hold our pipes (execa waits
 * for them to close), so the scripts below send their stdio to /dev/null. */
function run(args: string[]) {
  const [file, ...rest] = tiniArgv(args)
  return execa(file, rest, { reject: false, timeout: 30_000 })
}
const Q = '>/dev/null 2>&1 </dev/null'

t.test('--timeout terminates the whole tree, TERM-ignoring and setsid members included, and exits 124', async (t) => {
  const m = marker()
  t.teardown(() => killMarked(m))
  // A TERM-ignoring grandchild, a setsid'd daemon-like one, and the program.
  const script = `trap '' TERM; (trap '' TERM; sleep ${m}) ${Q} & setsid sleep ${m} ${Q} & sleep ${m} ${Q}`
  const r = await run(['-s', '--timeout', '0.5s', '--grace', '300ms', '--', 'sh', '-c', script])
  t.equal(r.exitCode, 124, 'exit 124 after the timeout')
  t.same(withMarker(m), [], 'no process of the tree survives')
})

t.test('--timeout not reached: the normal status', async (t) => {
  const r = await run(['-s', '--timeout', '5s', '--', 'sh', '-c', 'exit 3'])
  t.equal(r.exitCode, 3)
})

t.test('control: with --no-cleanup (or without -s), descendants outlive the program (tini behaviour)', async (t) => {
  for (const [args, env] of [[['-s', '--no-cleanup'], {}], [['-s'], { TINI_TS_NO_CLEANUP: '1' }], [[], {}]] as [string[], Record<string, string>][]) {
    const m = marker()
    t.teardown(() => killMarked(m))
    const [file, ...rest] = tiniArgv([...args, '--', 'sh', '-c', `sleep ${m} ${Q} & setsid sleep ${m} ${Q} & exit 5`])
    const r = await execa(file, rest, { reject: false, timeout: 30_000, env })
    t.equal(r.exitCode, 5, `${args.join(' ')} ${Object.keys(env).join(' ')}: the program's status`)
    t.equal(withMarker(m).length, 2, `${args.join(' ')} ${Object.keys(env).join(' ')}: both background processes are still running`)
  }
})

t.test('-s alone (not PID 1) cleans up by default: TERM, KILL after --grace, reaped, program status kept', async (t) => {
  const m = marker()
  t.teardown(() => killMarked(m))
  const t0 = Date.now()
  const r = await run(['-s', '--grace', '300ms', '--', 'sh', '-c', `(trap '' TERM; sleep ${m}) ${Q} & setsid sleep ${m} ${Q} & (sleep ${m} ${Q} &); exit 5`])
  t.equal(r.exitCode, 5, "the program's status")
  t.same(withMarker(m), [], 'no survivor: background, TERM-ignoring, setsid and double-forked ones all gone')
  t.ok(Date.now() - t0 < 3000, `done in ${Date.now() - t0} ms`)
})

t.test('--cleanup terminates every remaining descendant and keeps the program status', async (t) => {
  const m = marker()
  t.teardown(() => killMarked(m))
  const r = await run(['-s', '--cleanup', '--grace', '300ms', '--', 'sh', '-c', `(trap '' TERM; sleep ${m}) ${Q} & setsid sleep ${m} ${Q} & exit 5`])
  t.equal(r.exitCode, 5, "the program's status")
  t.same(withMarker(m), [], 'no survivor')
})

t.test('no /proc: --timeout and the cleanup still reach the program\'s process group', async (t) => {
  const ts = (args: string[]) => tiniArgv(args).map((a) => `'${a}'`).join(' ')
  const noProc = (cmd: string) => execa('unshare', ['--mount', '--pid', '--fork', 'bash', '-c', `umount -l /proc && ${cmd}`], { reject: false, timeout: 30_000 })
  const t0 = Date.now()
  let r = await noProc(`${ts(['--timeout', '300ms', '--grace', '200ms', '--'])} sh -c 'sleep 5'`)
  t.equal(r.exitCode, 124, '--timeout: exit 124')
  t.ok(Date.now() - t0 < 3000, `--timeout stopped the program (${Date.now() - t0} ms)`)
  // bash is PID 1 in there (tini-ts -s is a subreaper that is not PID 1) and
  // looks, after tini-ts exits, whether the program's background sleep lives.
  const left = (args: string[]) =>
    noProc(`P=$(${ts(args)} sh -c 'sleep 5 >/dev/null 2>&1 & echo $!'); echo "rc=$?"; kill -0 "$P" 2>/dev/null && echo alive || echo gone`)
  r = await left(['-s', '--grace', '200ms', '--'])
  t.equal(r.stdout, 'rc=0\ngone', 'cleanup: the background sleep is gone')
  r = await left(['-s', '--no-cleanup', '--'])
  t.equal(r.stdout, 'rc=0\nalive', 'control, --no-cleanup: it lives on')
})

/** Starts a program that reports the signals it gets, waits until it is ready. */
async function signalReporter(t: Test, tiniArgs: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-rw-'))
  const ready = join(dir, 'ready')
  const script = `for s in TERM USR1 USR2 HUP; do trap "echo got $s" $s; done; trap 'echo got INT; exit 0' INT; touch ${ready}; while :; do sleep 0.05; done`
  const [file, ...rest] = tiniArgv([...tiniArgs, '--', 'sh', '-c', script])
  const p = execa(file, rest, { reject: false, timeout: 30_000 })
  t.teardown(() => p.kill('SIGKILL'))
  let out = ''
  let err = ''
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  p.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  await waitFor('program ready', () => existsSync(ready))
  /** Handshake: resolves once the program has reported `line`. */
  const reported = (line: string) => waitFor(`program reported '${line}'`, () => out.split('\n').includes(line))
  /** Handshake: resolves once tini-ts has logged a line matching `re` (-vv). */
  const logged = (re: RegExp) => waitFor(`tini-ts logged ${re}`, () => re.test(err))
  return { p, reported, logged } // not p itself: an async function would await the promise
}

t.test('--rewrite FROM:TO forwards the rewritten signal', async (t) => {
  const { p, reported } = await signalReporter(t, ['-s', '--rewrite', 'TERM:USR1', '--rewrite', '1:SIGUSR2'])
  // One signal at a time: sh runs pending traps in signal-number order, so
  // INT sent while USR2 is still pending would exit first.
  process.kill(p.pid as number, 'SIGTERM')
  await reported('got USR1')
  process.kill(p.pid as number, 'SIGHUP')
  await reported('got USR2')
  process.kill(p.pid as number, 'SIGINT')
  const r = await p
  t.equal(r.exitCode, 0)
  t.same(r.stdout.split('\n'), ['got USR1', 'got USR2', 'got INT'])
})

t.test('--rewrite SIG:0 drops the signal; control: without it the signal arrives', async (t) => {
  // Handshakes instead of waiting a while: tini-ts's debug line says it has
  // handled (dropped) TERM; then USR1, which is forwarded, marks "after
  // TERM" in the program's output before INT ends it.
  const { p: dropped, reported, logged } = await signalReporter(t, ['-s', '-vv', '--rewrite', 'TERM:0'])
  process.kill(dropped.pid as number, 'SIGTERM')
  await logged(/Dropped signal 'SIGTERM'/)
  process.kill(dropped.pid as number, 'SIGUSR1')
  await reported('got USR1')
  process.kill(dropped.pid as number, 'SIGINT')
  t.same((await dropped).stdout.split('\n'), ['got USR1', 'got INT'], 'TERM never reached the program')

  const { p: control, reported: controlReported } = await signalReporter(t, ['-s', '-vv'])
  process.kill(control.pid as number, 'SIGTERM')
  await controlReported('got TERM')
  process.kill(control.pid as number, 'SIGUSR1')
  await controlReported('got USR1')
  process.kill(control.pid as number, 'SIGINT')
  t.same((await control).stdout.split('\n'), ['got TERM', 'got USR1', 'got INT'], 'control: without the rewrite TERM arrives')
})

t.test('bad values are refused at start and nothing is started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-bad-'))
  const cases: [string[], RegExp][] = [
    [['--timeout', 'abc'], /'abc' is not a duration/],
    [['--grace', '10x'], /'10x' is not a duration/],
    [['--rewrite', '15:99'], /'99' is not a signal/],
    [['--rewrite', 'KILL:TERM'], /SIGKILL is not forwarded/],
    [['--rewrite', 'TERM'], /is not FROM:TO/],
  ]
  // Control: with good values the very same program does leave its file, so
  // the "not started" checks below can fail.
  const started = join(dir, 'control')
  t.equal((await run(['--timeout', '10s', '--', 'touch', started])).exitCode, 0)
  t.ok(existsSync(started), 'control: with valid options the program runs and leaves its file')
  for (const [i, [args, msg]] of cases.entries()) {
    const touched = join(dir, `${i}-${args.join('_')}`)
    const r = await run([...args, '--', 'touch', touched])
    t.not(r.exitCode, 0, `${args.join(' ')}: non-zero exit`)
    t.match(r.stderr, msg, `${args.join(' ')}: says what is wrong`)
    t.match(r.stderr, /Usage: tini-ts/, 'and shows usage')
    t.notOk(existsSync(touched), 'the program was not started')
  }
  const touched = join(dir, 'pause')
  const r = await run(['-P', 'touch', touched])
  t.not(r.exitCode, 0)
  t.match(r.stderr, /--pause takes no program/)
  t.notOk(existsSync(touched))
})
