// `tini-ts -s -- <probe>` leaves nothing behind, as written. The
// probes enter a PID namespace the way a kubelet's exec enters a container:
// `nsenter -t <PID 1> -p -m`, into a namespace whose PID 1 (`sleep
// infinity`, like redis or a JVM there) never waits. Whatever the probe
// leaves running when its top process exits is re-parented to that PID 1 and
// stays a zombie forever: each shape has a control, the same probe without
// the wrapper, that shows it. With the wrapper nothing is left, not even a
// running process, in every logging mode.
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { psInContainer, type Proc } from '../helpers/container-ps'
import { children, killTree, sleep, tiniArgv, waitFor } from '../helpers/tini'

/** A fresh PID namespace with a PID 1 that never reaps; its host pid. */
async function namespace(t: Test): Promise<number> {
  const p = execa('unshare', ['--pid', '--fork', '--mount-proc', 'sleep', 'infinity'], { reject: false, stdin: 'ignore' })
  t.teardown(() => killTree(p.pid))
  const pid1 = (await waitFor('the namespace\'s PID 1', () => children(p.pid as number).find((c) => c.comm === 'sleep'))).pid
  // unshare execs sleep after the fork: wait until the child is sleep, in its own namespace
  await waitFor('PID 1 in its namespace', () => psInContainer(pid1).find((q) => q.pid === 1 && q.comm === 'sleep'))
  return pid1
}

/** Runs argv in the namespace as kubelet's exec does (a process entering from outside). */
function enter(pid1: number, argv: string[]) {
  return execa('nsenter', ['-t', String(pid1), '-p', '-m', '--', ...argv], { reject: false, timeout: 30_000, stdin: 'ignore' })
}

/** Everything in the namespace except PID 1 itself. */
const others = (pid1: number): Proc[] => psInContainer(pid1).filter((p) => p.pid !== 1)

interface Shape {
  name: string
  /** sh -c script of the probe */
  script: string
  code: number
  stdout?: string
  /** options for tini-ts before `--` (besides -s and the logging mode) */
  tini?: string[]
  /** the control's argv prefix: how the probe runs without the wrapper */
  control?: string[]
  /** how long the survivors would live on their own (the wait before looking) */
  lifeMs: number
}

const SHAPES: Shape[] = [
  { name: 'backgrounded survivor', script: 'sleep 0.3 & echo PONG', code: 0, stdout: 'PONG', lifeMs: 300 },
  { name: 'setsid daemon', script: 'setsid -f sleep 0.3; echo PONG', code: 0, stdout: 'PONG', lifeMs: 300 },
  { name: 'double fork', script: '(sleep 0.2 &); echo PONG', code: 0, stdout: 'PONG', lifeMs: 200 },
  // `exec` makes sleep 0.3 the parent of the dead sleep 0.05; sleep never waits
  // (and the shell never waits after starting it: waiting, it would reap it)
  { name: 'dead child its parent never waited for', script: 'echo PONG; sleep 0.05 & exec sleep 0.3', code: 0, stdout: 'PONG', lifeMs: 0 },
  { name: 'failing probe', script: 'sleep 0.3 & exit 1', code: 1, lifeMs: 300 },
  // The control is what the runtime does at timeoutSeconds: kill the probe's top process only.
  { name: 'hung probe', script: 'sleep 0.6 & sleep 30', code: 124, tini: ['--timeout', '300ms'], control: ['timeout', '--foreground', '-s', 'KILL', '0.3'], lifeMs: 600 },
]

const MODES: [string, string[]][] = [
  ['plain', []],
  ['-w', ['-w']],
  ['-vv', ['-vv']],
  ['json', ['--log-format', 'json', '-v']],
]

/** What each logging mode must (and must not) print on stderr. */
function checkLog(t: Test, mode: string, stderr: string, shape: Shape) {
  const lines = stderr.split('\n').filter(Boolean)
  if (mode === 'plain') {
    const expected = shape.code === 124 ? [/still running after 300ms/] : []
    t.equal(lines.length, expected.length, `plain: ${expected.length ? 'only the timeout warning' : 'nothing'} on stderr: ${JSON.stringify(stderr)}`)
    expected.forEach((re, i) => t.match(lines[i], re))
  } else if (mode === '-w') {
    // (sleep), or (sh)/(setsid) when the cleanup caught a forked process before its exec
    t.ok(lines.some((l) => /^\[WARN +tini-ts \(\d+\)\] Reaped zombie process with pid=\d+ \((sleep|sh|setsid)\)$/.test(l)), '-w: the reaped process is named')
  } else if (mode === '-vv') {
    t.match(stderr, /Main child exited/, '-vv: the exit is logged')
    t.match(stderr, /Exiting with \d+/, '-vv: the summary')
  } else {
    const events = lines.map((l) => JSON.parse(l) as { event: string })
    t.ok(events.every((e) => typeof e.event === 'string'), 'json: one object per line, each with an event')
    t.ok(events.some((e) => e.event === 'summary'), 'json: the summary event')
  }
}

for (const shape of SHAPES) {
  t.test(shape.name, async (t) => {
    t.test('control: without the wrapper, PID 1 keeps a zombie', async (t) => {
      const pid1 = await namespace(t)
      const r = await enter(pid1, [...(shape.control ?? []), 'sh', '-c', shape.script])
      if (shape.stdout) t.equal(r.stdout, shape.stdout, 'the probe answered')
      await sleep(shape.lifeMs + 400)
      const z = others(pid1).filter((p) => p.state === 'Z')
      t.ok(z.length >= 1, `zombie(s) left under PID 1: ${z.map((p) => p.comm).join(', ')}`)
      t.ok(z.every((p) => p.ppid === 1), 'and PID 1 is their parent')
    })
    for (const [mode, flags] of MODES) {
      t.test(`tini-ts -s ${flags.join(' ')}: nothing left`, async (t) => {
        const pid1 = await namespace(t)
        const r = await enter(pid1, tiniArgv(['-s', ...flags, ...(shape.tini ?? []), '--', 'sh', '-c', shape.script]))
        t.equal(r.exitCode, shape.code, `exit ${shape.code} comes through`)
        if (shape.stdout) t.equal(r.stdout, shape.stdout, 'the probe answered')
        checkLog(t, mode, r.stderr, shape)
        await sleep(shape.lifeMs + 400) // past the survivors' own lifetimes
        t.same(others(pid1), [], 'no zombie and no process under PID 1')
      })
    }
  })
}

// A survivor that ignores SIGTERM and holds the probe's stdout: the kubelet
// reads until EOF, so the probe answers only when the survivor is gone. It
// ignores SIGTERM from its fork on (inherited from the shell's trap): a trap
// set inside the background job could come after the cleanup's SIGTERM.
const HOLDER = "trap '' TERM; sleep 3 & echo PONG"
const GRACE_MS = 300

t.test('the probe answers promptly: stdout reaches EOF within the grace period, though a TERM-ignoring survivor holds it', async (t) => {
  t.test('control: with --no-cleanup (tini), EOF waits for the survivor', async (t) => {
    const pid1 = await namespace(t)
    const t0 = Date.now()
    const r = await enter(pid1, tiniArgv(['-s', '--no-cleanup', '--', 'sh', '-c', HOLDER]))
    const ms = Date.now() - t0
    t.equal(r.stdout, 'PONG')
    t.ok(ms >= 2500, `EOF after ${ms} ms: the survivor's 3 s`)
  })
  for (const [, flags] of MODES) {
    t.test(`tini-ts -s --grace ${GRACE_MS}ms ${flags.join(' ')}`, async (t) => {
      const pid1 = await namespace(t)
      // the same probe with nothing left behind: nsenter's and tini-ts's own start on this machine now
      let t0 = Date.now()
      await enter(pid1, tiniArgv(['-s', ...flags, '--', 'sh', '-c', 'echo PONG']))
      const base = Date.now() - t0
      t0 = Date.now()
      const r = await enter(pid1, tiniArgv(['-s', '--grace', `${GRACE_MS}ms`, ...flags, '--', 'sh', '-c', HOLDER]))
      const ms = Date.now() - t0
      t.equal(r.exitCode, 0)
      t.equal(r.stdout, 'PONG')
      // the grace period, plus start-up and the kill's own wait (about 350-400 ms on an idle machine)
      t.ok(ms < base + GRACE_MS + 400, `EOF after ${ms} ms (grace ${GRACE_MS} ms; a plain probe: ${base} ms)`)
      t.ok(ms >= GRACE_MS, `not before the grace period: the survivor had its chance (${ms} ms)`)
      t.same(others(pid1), [], 'no zombie and no process under PID 1')
    })
  }
})
