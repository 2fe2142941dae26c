// The supervisor's policy on a fake addon (test/helpers/fake-binding.ts): exit
// codes, spawn failures, --timeout, the cleanup default, pause mode and set-up
// failures, without root, processes or a build. The real addon and the built
// executable are the business of test/cli and test/pid1.
import t from 'tap'
import { parseCli, type Config } from '../../../src/cli/cli'
import { Logger, type LineSink } from '../../../src/init/log'
import { Errno } from '../../../src/runtime/native'
import { Supervisor, type SupervisorDeps } from '../../../src/init/supervisor'
import { FakeBinding } from '../../helpers/fake-binding'

const SIGINT = 2
const SIGHUP = 1
const SIGKILL = 9
const SIGTERM = 15
const exited = (code: number) => code << 8

function config(args: string[]): Config {
  const r = parseCli(args, {})
  if (r.kind !== 'run') throw new Error(`not a run: ${JSON.stringify(r)}`)
  return r.config
}

class Lines implements LineSink {
  readonly lines: string[] = []
  write(line: string): void {
    this.lines.push(line)
  }
  flush(): Promise<void> {
    return Promise.resolve()
  }
  some(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l))
  }
}

interface Rig {
  native: FakeBinding
  out: Lines
  run: Promise<number>
  /** how many terminate passes the supervisor started */
  passes: () => number
}

function start(args: string[], opts: { pid?: number; verbosity?: number; prepare?: (n: FakeBinding) => void } = {}): Rig {
  const native = new FakeBinding(opts.pid ?? 4242)
  opts.prepare?.(native)
  const cfg = config(args)
  const out = new Lines()
  const log = new Logger(opts.verbosity ?? cfg.verbosity, cfg.logFormat, out)
  let passes = 0
  const deps: Partial<SupervisorDeps> = {
    pid: opts.pid ?? 4242,
    hasProc: true,
    guard: () => {},
    // as proc.ts's hasNoChildren() tells it: no process of the fake table is ours
    childless: () => !native.scan().some((p) => p.ppid === (opts.pid ?? 4242)),
    treeDeps: (n) => {
      passes++
      const ops = {
        scan: () => native.scan(),
        stat: (pid: number) => native.scan().find((p) => p.pid === pid) ?? null,
        pidfdOpen: (pid: number) => n.pidfdOpen(pid),
        pidfdSignal: (fd: number, sig: number) => n.pidfdSignal(fd, sig),
        pidfdClose: (fd: number) => n.pidfdClose(fd),
        killChild: (pid: number, sig: number, group: boolean) => n.killChild(pid, sig, group),
        killGroup: (pgid: number, sig: number) => n.killGroup(pgid, sig),
      }
      return { ops, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }
    },
  }
  const run = new Supervisor(cfg, native.owned(), log, deps).run()
  return { native, out, run, passes: () => passes }
}

/** A few turns of the event loop: whatever would happen by then has. */
const settle = () => new Promise((r) => setTimeout(r, 20))

t.test('the program\'s exit code is the init\'s', async (t) => {
  const { native, out, run } = start(['-vv', '--', 'prog', 'a'])
  t.same(native.spawned[0].argv, ['prog', 'a'])
  t.equal(native.spawned[0].newGroup, true)
  native.exitProgram(exited(3))
  t.equal(await run, 3)
  t.ok(out.some(/Main child exited normally \(with status '3'\)/))
  t.ok(out.some(/Exiting with 3: 0 orphan\(s\) reaped, 0 signal\(s\) forwarded/))
  t.ok(native.stopped, 'no more wake-ups once the run ends')
  t.equal(native.kills.length, 0, 'nothing was signalled: no -s, no --cleanup')
})

t.test('the run waits for the program: nothing ends it before its exit', async (t) => {
  const { native, run } = start(['prog'])
  let done = false
  void run.then(() => (done = true))
  native.emit({ type: 'reaped', pid: 77, status: 0, start: 0, comm: '' })
  await settle()
  t.notOk(done, 'an orphan reaped is not the program')
  native.exitProgram(exited(0))
  t.equal(await run, 0)
})

t.test('death by signal N exits 128+N; -e remaps a code to 0', async (t) => {
  const a = start(['prog'])
  a.native.exitProgram(SIGKILL)
  t.equal(await a.run, 137)
  const b = start(['-vv', 'prog'])
  b.native.exitProgram(SIGTERM)
  t.equal(await b.run, 143)
  t.ok(b.out.some(/exited with signal \(with signal 'SIGTERM'\)/))
  const c = start(['-e', '143', 'prog'])
  c.native.exitProgram(SIGTERM)
  t.equal(await c.run, 0)
})

t.test('spawn failures: 127 when not found, 126 otherwise, 1 when no child could be made', async (t) => {
  const fail = (step: 'exec' | 'setpgid', errno: number) => (n: FakeBinding) => {
    n.spawnOutcome = (pid) => ({ ok: false, pid, argvExact: true, envExact: true, step, errno, message: `errno ${errno}` })
  }
  const cases: [string, (n: FakeBinding) => void, number, RegExp][] = [
    ['ENOENT', fail('exec', Errno.ENOENT), 127, /exec nope failed: errno 2/],
    ['ENOTDIR', fail('exec', Errno.ENOTDIR), 127, /exec nope failed/],
    ['EACCES', fail('exec', Errno.EACCES), 126, /exec nope failed: errno 13/],
    ['setpgid', fail('setpgid', Errno.EACCES), 126, /setpgid failed/],
  ]
  for (const [name, prepare, code, line] of cases) {
    const { out, run } = start(['nope'], { prepare })
    t.equal(await run, code, name)
    t.ok(out.some(line), `${name}: one line says what failed`)
    t.notOk(out.some(/Spawned child/), `${name}: nothing reported as spawned`)
  }
  const clone = Object.assign(new Error('clone: Resource temporarily unavailable'), { errno: Errno.EAGAIN })
  const { out, run } = start(['nope'], { prepare: (n) => (n.spawnOutcome = clone) })
  t.equal(await run, 1)
  t.ok(out.some(/cannot start nope: clone: .*pids cgroup full/))
})

t.test('--timeout: one termination pass, TERM to the program once, exit 124', async (t) => {
  const { native, out, run, passes } = start(['-vv', '--timeout', '30ms', '--grace', '50ms', '--', 'prog'], {
    prepare: (n) => n.addProc({ pid: 2000, ppid: 1000, pgrp: 1000 }),
  })
  let done = false
  void run.then(() => (done = true))
  await settle()
  t.notOk(done, 'still running before the deadline')
  t.equal(await run, 124)
  t.equal(passes(), 1, 'the tree is terminated once, not again at the program\'s exit')
  const prog = native.programPid
  t.same(native.kills.filter(([p, s]) => p === prog && s === SIGTERM), [[prog, SIGTERM]], 'the program got one SIGTERM')
  t.ok(native.kills.some(([p, s]) => p === 2000 && s === SIGTERM), 'its descendant too')
  t.ok(out.some(/Program still running after 30ms: terminating/))
  t.ok(out.some(/Terminated 2 process\(es\), killed 0/))
  t.notOk(out.some(/Cleaned up/), 'no second pass reported as cleanup')
})

t.test('--timeout: a program that ignores SIGTERM is killed after the grace period', async (t) => {
  const { native, run } = start(['--timeout', '20ms', '--grace', '40ms', 'prog'], { prepare: (n) => n.programIgnores.add(SIGTERM) })
  const t0 = Date.now()
  t.equal(await run, 124)
  t.ok(Date.now() - t0 >= 55, 'not before the deadline plus grace')
  t.ok(native.kills.some(([p, s]) => p === native.programPid && s === SIGKILL))
})

t.test('--timeout does not fire once the program has exited', async (t) => {
  const { native, run, passes } = start(['--timeout', '40ms', 'prog'])
  native.exitProgram(exited(5))
  t.equal(await run, 5)
  await new Promise((r) => setTimeout(r, 60))
  t.equal(passes(), 0)
  t.equal(native.kills.length, 0)
})

t.test('cleanup with no child left: a subreaper has no descendant then, and skips the /proc scan', async (t) => {
  const quiet = start(['-s', 'prog'])
  quiet.native.exitProgram(exited(0))
  t.equal(await quiet.run, 0)
  t.equal(quiet.passes(), 0, 'no termination pass, so no scan')
  // control: one child left, and the pass runs
  const busy = start(['-s', 'prog'], { prepare: (n) => n.addProc({ pid: 3001, ppid: n.initPid, pgrp: 3001, comm: 'daemon' }) })
  busy.native.exitProgram(exited(0))
  t.equal(await busy.run, 0)
  t.equal(busy.passes(), 1, 'with a child left the pass runs')
})

t.test('cleanup after the program: default with -s when not PID 1, never with --no-cleanup or as PID 1 (cleansUpOnExit)', async (t) => {
  const leftover = (n: FakeBinding) => n.addProc({ pid: 3000, ppid: n.initPid, pgrp: 3000, comm: 'daemon' })
  const probe = start(['-s', '-vv', 'prog'], { prepare: leftover })
  probe.native.exitProgram(exited(0))
  t.equal(await probe.run, 0)
  t.ok(probe.native.kills.some(([p, s]) => p === 3000 && s === SIGTERM), '-s, not PID 1: the leftover gets SIGTERM')
  t.ok(probe.out.some(/Cleaned up 1 remaining process\(es\), killed 0/))
  t.equal(probe.passes(), 1)

  for (const [name, args, pid] of [
    ['--no-cleanup', ['-s', '--no-cleanup', 'prog'], 4242],
    ['PID 1', ['-s', 'prog'], 1],
    ['no -s', ['prog'], 4242],
  ] as const) {
    const r = start([...args], { pid, prepare: leftover })
    r.native.exitProgram(exited(0))
    t.equal(await r.run, 0)
    t.equal(r.passes(), 0, `${name}: no termination pass`)
    t.notOk(r.native.kills.some(([p]) => p === 3000), `${name}: the leftover is left alone`)
  }
  const asked = start(['--cleanup', 'prog'], { pid: 1, prepare: leftover })
  asked.native.exitProgram(exited(0))
  t.equal(await asked.run, 0)
  t.ok(asked.native.kills.some(([p, s]) => p === 3000 && s === SIGTERM), '--cleanup: even as PID 1')
})

t.test('pause mode: no program; SIGTERM or SIGINT ends it with 0, other signals do not', async (t) => {
  for (const sig of [SIGTERM, SIGINT]) {
    const { native, out, run } = start(['-vv', '-P'])
    let done = false
    void run.then(() => (done = true))
    t.equal(native.spawned.length, 0, 'nothing spawned')
    native.emit({ type: 'signal', signal: SIGHUP, sentAs: SIGHUP, target: 0, err: -1, sender: 1 })
    await settle()
    t.notOk(done, 'SIGHUP does not end pause mode')
    native.emit({ type: 'signal', signal: sig, sentAs: sig, target: 0, err: -1, sender: 1 })
    t.equal(await run, 0)
    t.ok(out.some(sig === SIGTERM ? /Received SIGTERM in pause mode: exiting/ : /Received SIGINT in pause mode/))
    t.ok(native.stopped)
  }
})

t.test('set-up failures: one FATAL line, exit 1, nothing spawned', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['setParentDeathSignal', ['-p', 'SIGKILL', 'prog'], /^\[FATAL tini-ts \(\d+\)\] prctl\(PR_SET_PDEATHSIG\): EPERM\n$/],
    ['setSubreaper', ['-s', 'prog'], /^\[FATAL tini-ts \(\d+\)\] prctl\(PR_SET_PDEATHSIG\): EPERM\n$/],
    ['fdFacts', ['prog'], /cannot list the inherited descriptors: prctl/],
    ['setPolicy', ['prog'], /cannot set the signal policy: prctl/],
  ]
  for (const [step, args, line] of cases) {
    const { native, out, run } = start(args, { prepare: (n) => n.failing.set(step, new Error('prctl(PR_SET_PDEATHSIG): EPERM')) })
    t.equal(await run, 1, step)
    t.equal(out.lines.length, 1, `${step}: one line`)
    t.match(out.lines[0], line, step)
    t.notOk(native.calls.includes('spawn'), `${step}: nothing spawned`)
  }
})

t.test('events: forwarded signals and reaped orphans are counted and reported', async (t) => {
  const { native, out, run } = start(['-w', '-vvv', 'prog'])
  native.emit(
    { type: 'signal', signal: SIGHUP, sentAs: SIGHUP, target: 1000, err: 0, sender: 1 },
    { type: 'signal', signal: 10, sentAs: 12, target: 1000, err: 0, sender: 1 },
    { type: 'signal', signal: SIGINT, sentAs: 0, target: 0, err: 0, sender: 1 },
    { type: 'signal', signal: SIGTERM, sentAs: SIGTERM, target: 1000, err: Errno.ESRCH, sender: 1 },
    { type: 'reaped', pid: 555, status: 0, start: 0, comm: 'orphan' },
    { type: 'stopped', pid: 1000, signal: 20 },
  )
  await settle()
  native.exitProgram(exited(0))
  t.equal(await run, 0)
  t.ok(out.some(/Passed signal 'SIGHUP'$/m))
  t.ok(out.some(/Passed signal 'SIGUSR1' as 'SIGUSR2'/))
  t.ok(out.some(/Dropped signal 'SIGINT' \(--rewrite\)/))
  t.ok(out.some(/WARN .*Child was dead when forwarding signal 'SIGTERM'/))
  t.ok(out.some(/WARN .*Reaped zombie process with pid=555 \(orphan\)/), '-w: a warning per reaped orphan')
  t.ok(out.some(/Child stopped by 'SIGTSTP'/))
  t.ok(out.some(/Received SIGCHLD/))
  t.ok(out.some(/Exiting with 0: 1 orphan\(s\) reaped, 2 signal\(s\) forwarded/))
})

t.test('not PID 1 and not a subreaper: tini\'s warning; with -s none', async (t) => {
  const a = start(['prog'])
  a.native.exitProgram(exited(0))
  await a.run
  t.ok(a.out.some(/isn't registered as a child subreaper/))
  const b = start(['-s', '--no-cleanup', 'prog'])
  b.native.exitProgram(exited(0))
  await b.run
  t.notOk(b.out.some(/subreaper/))
  t.ok(b.native.calls.includes('setSubreaper'))
})

t.test('--timeout and --cleanup make the init a subreaper without -s (not as PID 1); a refusal is one warning, not a failed start', async (t) => {
  for (const args of [['--timeout', '5s', 'prog'], ['--cleanup', 'prog']]) {
    const r = start(args)
    r.native.exitProgram(exited(0))
    t.equal(await r.run, 0)
    t.ok(r.native.calls.includes('setSubreaper'), `${args[0]}: registered as a subreaper`)
    t.notOk(r.out.some(/isn't registered as a child subreaper/), `${args[0]}: so no reaper warning`)
  }
  // control: neither given, no subreaper
  const plain = start(['prog'])
  plain.native.exitProgram(exited(0))
  await plain.run
  t.notOk(plain.native.calls.includes('setSubreaper'), 'control: a plain run is not a subreaper')
  const pid1 = start(['--cleanup', 'prog'], { pid: 1 })
  pid1.native.exitProgram(exited(0))
  await pid1.run
  t.notOk(pid1.native.calls.includes('setSubreaper'), 'PID 1 reaps everything already')
  const refused = start(['--timeout', '5s', 'prog'], { prepare: (n) => n.failing.set('setSubreaper', new Error('prctl(PR_SET_CHILD_SUBREAPER): EINVAL')) })
  refused.native.exitProgram(exited(3))
  t.equal(await refused.run, 3, 'the run goes on')
  t.ok(refused.out.some(/WARN .*cannot become a child subreaper \(prctl\(PR_SET_CHILD_SUBREAPER\): EINVAL\)/))
  const asked = start(['-s', 'prog'], { prepare: (n) => n.failing.set('setSubreaper', new Error('prctl(PR_SET_CHILD_SUBREAPER): EINVAL')) })
  t.equal(await asked.run, 1, 'control: with -s asked for, the refusal is fatal (as tini)')
})

t.test('the terminal: taken when ours, given back at exit only from the program', async (t) => {
  const fg = { isatty: 1, foreground: 500, pgrp: 500, sid: 400, parentSid: 400 }
  const a = start(['prog'], { prepare: (n) => (n.tty = { ...fg }) })
  t.equal(a.native.spawned[0].takeTty, true)
  t.ok(a.native.calls.includes('setJobControl(true)'), 'a job of an interactive shell')
  a.native.tty.foreground = a.native.programPid
  a.native.exitProgram(exited(0))
  await a.run
  t.ok(a.native.calls.includes('giveTerminal(500)'))
  const b = start(['prog'], { prepare: (n) => (n.tty = { ...fg }) })
  b.native.tty.foreground = 777 // after `bg`, the shell has it
  b.native.exitProgram(exited(0))
  await b.run
  t.notOk(b.native.calls.some((c) => c.startsWith('giveTerminal')))
  const c = start(['prog'], { prepare: (n) => (n.tty = { ...fg, foreground: 999 }) })
  t.equal(c.native.spawned[0].takeTty, false, 'in the background: not taken')
  t.ok(c.native.calls.includes('setJobControl(true)'), 'a background job of the shell all the same (fg hands it over later)')
  const d = start(['prog'], { prepare: (n) => (n.tty = { ...fg, foreground: -1 }) })
  t.notOk(d.native.calls.includes('setJobControl(true)'), 'not our controlling terminal: no job control')
  d.native.exitProgram(exited(0))
  await d.run
  c.native.exitProgram(exited(0))
  await c.run
})

t.test('PID 1 of a PID namespace on a terminal: groups outside read 0; the terminal is taken and not handed back', async (t) => {
  // `unshare --pid --fork` on a terminal: our group and the terminal's
  // foreground group lie outside the namespace, getpgrp() and tcgetpgrp()
  // read 0. Ctrl-C kills the program: the init exits 130.
  const ns = { isatty: 1, foreground: 0, pgrp: 0, sid: 0, parentSid: 0 }
  const a = start(['prog'], { pid: 1, prepare: (n) => (n.tty = { ...ns }) })
  t.equal(a.native.spawned[0].takeTty, true, 'the program gets the terminal, as with tini')
  t.notOk(a.native.calls.includes('setJobControl(true)'), 'PID 1 never stops itself')
  a.native.tty.foreground = a.native.programPid
  a.native.exitProgram(SIGINT)
  t.equal(await a.run, 130)
  t.notOk(a.native.calls.some((c) => c.startsWith('giveTerminal')), 'no group of ours to hand it back to')
  t.notOk(a.out.some(/internal error/))
  // control: handing the terminal "back" to group 0 is what the addon refuses
  t.throws(() => a.native.giveTerminal(0), /pgrp must be an integer from 1/)
})

t.test('after the spawn a failing step of our own is one line, and the program\'s status is the exit code', async (t) => {
  const fg = { isatty: 1, foreground: 500, pgrp: 500, sid: 400, parentSid: 400 }
  const boom = new Error('bookkeeping broke\n    at somewhere (x.js:1:1)')
  // giveTerminal, the cleanup's /proc scan and the summary's stats all throw
  const a = start(['-s', 'prog'], { prepare: (n) => (n.tty = { ...fg }) })
  a.native.failing.set('giveTerminal(500)', boom)
  a.native.failing.set('reapNow', boom)
  a.native.addProc({ pid: 2000, comm: 'left-behind' })
  a.native.tty.foreground = a.native.programPid
  a.native.exitProgram(exited(7))
  t.equal(await a.run, 7, "the program's status")
  t.ok(a.native.calls.includes('giveTerminal(500)'), 'the hand-back was tried and threw')
  const internal = a.out.lines.filter((l) => /internal error/.test(l))
  t.ok(internal.length >= 2, 'each failure logged')
  for (const l of internal) {
    t.match(l, /^\[FATAL tini-ts \(\d+\)\] internal error in [a-z -]+ \(continuing\): bookkeeping broke\n$/, 'one line, no stack')
  }
  // --timeout: its termination pass fails (the /proc scan throws): the
  // program is killed all the same, no hang, and the exit code is 124
  const b = start(['-s', '--timeout', '10ms', 'prog'], { prepare: (n) => n.failing.set('scan', boom) })
  b.native.programIgnores.add(SIGTERM)
  t.equal(await b.run, 124, 'the timeout exit code')
  t.ok(b.native.kills.some(([p, s]) => p === b.native.programPid && s === SIGKILL), 'the program was killed')
  t.ok(b.out.some(/internal error in timeout termination \(continuing\): bookkeeping broke\n$/))
})

t.test('JSON logs: a reaped orphan\'s fields (status, name, age); held and failed forwards', async (t) => {
  const { native, out, run } = start(['--log-format', 'json', '-w', '-v', 'prog'])
  native.emit(
    { type: 'reaped', pid: 556, status: exited(2), start: 1, comm: 'old' },
    { type: 'signal', signal: SIGHUP, sentAs: SIGHUP, target: 0, err: -1, sender: 0 },
    { type: 'signal', signal: SIGINT, sentAs: SIGINT, target: 1000, err: Errno.EACCES, sender: 0 },
  )
  await settle()
  native.exitProgram(exited(0))
  t.equal(await run, 0)
  const docs = out.lines.join('').trim().split('\n').map((l) => JSON.parse(l))
  const reaped = docs.find((d) => d.event === 'reaped')
  t.match(reaped, { level: 'warn', pid: 556, comm: 'old', code: 2 })
  t.type(reaped.livedMs, 'number', 'its age, from its start time and /proc/uptime')
  t.match(docs.find((d) => d.event === 'forwarded' && d.errno === Errno.EACCES), { level: 'warn', msg: "Forwarding signal 'SIGINT' failed: errno 13" })
  t.notOk(docs.some((d) => /Holding/.test(d.msg)), 'held signals are debug lines (not at -v)')
  t.match(docs.find((d) => d.event === 'summary'), { code: 0, orphansReaped: 1, signalsForwarded: 0, eventsDropped: 0 })
})
