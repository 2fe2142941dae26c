// Job control in a real terminal: an interactive bash (node-pty)
// runs tini-ts as a job. Ctrl-Z stops the program (its group owns the
// terminal) and tini-ts follows, so bash gets its prompt back; fg hands the
// terminal to the program again; bg runs it in the background. Controls:
// Debian's tini leaves the terminal hung, and so would tini-ts as PID 1
// (which must never stop); outside a terminal tini-ts never stops.
import t from 'tap'
import * as pty from 'node-pty'
import { execa } from 'execa'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { children, descendants, haveBinary, killTree, ownsTerminal, procStat, shq, sleep, tiniArgv, tiniShell, waitFor } from '../helpers/tini'

const PROMPT = 'PROMPT-'

interface Shell {
  term: pty.IPty
  out: () => string
  /** output since the last mark() */
  since: () => string
  mark: () => void
  line: (s: string) => void
  /** waits for a fresh prompt after the last mark() */
  prompt: (timeoutMs?: number) => Promise<string>
  /** types a command line; resolves to what it printed, up to the next prompt */
  command: (l: string) => Promise<string>
}

function shell(t: any): Shell {
  const term = pty.spawn('/bin/bash', ['--norc', '--noprofile', '-i'], {
    name: 'xterm',
    cols: 200,
    rows: 50,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', HOME: '/root', PS1: `${PROMPT}$ `, TINI_SUBREAPER: '1' } as any,
  })
  let buf = ''
  let from = 0
  term.onData((d) => (buf += d))
  t.teardown(() => killTree(term.pid))
  const s: Shell = {
    term,
    out: () => buf,
    since: () => buf.slice(from),
    mark: () => (from = buf.length),
    line: (l) => term.write(l + '\r'),
    prompt: (ms = 10_000) => waitFor('prompt', () => (s.since().includes(`${PROMPT}$ `) ? s.since() : ''), ms),
    command: (l) => {
      s.mark()
      s.line(l)
      return s.prompt()
    },
  }
  return s
}

/** Starts cmd in the shell; returns tini-ts's (or the init's) pid and the program's. */
async function start(s: Shell, cmd: string, init = 'tini-ts', program = 'sh'): Promise<{ init: number; prog: number }> {
  await s.prompt()
  s.mark()
  s.line(cmd)
  await waitFor('READY', () => READY_LINE.test(s.since()))
  const i = await waitFor(init, () => descendants(s.term.pid).find((c) => c.comm === init))
  const p = await waitFor(program, () => children(i.pid).find((c) => c.comm === program))
  return { init: i.pid, prog: p.pid }
}

/** READY as output, not inside the echo of the typed command (`echo READY`). */
const READY_LINE = /(?<!echo )READY/

/**
 * Ctrl-Z, typed only once the program waits: on a child that has exec'd
 * (`on`, by name), or in a builtin (`on` empty: no child at all). Typed
 * while a shell is between vfork(2) and its child's exec, the stop reaches only that child; the shell waits in the
 * kernel for the exec and never stops, so the job hangs with or without an
 * init (bash running dash alone does it: README, "Tests").
 */
async function typeCtrlZ(s: Shell, prog: number, on = 'sleep'): Promise<void> {
  await waitFor(`the program waiting on ${on || 'a builtin'}`, () => {
    const kids = children(prog)
    return state(prog) === 'S' && (on ? kids.some((c) => c.comm === on) : kids.length === 0)
  })
  s.term.write('\x1a')
}

const state = (pid: number) => procStat(pid)?.state

/** What the shell says $? is, once the job is over. */
async function lastStatus(s: Shell): Promise<string> {
  return s.command('echo "status=$?"')
}

/** The program, which owns the terminal, reads a line and echoes it; then
 * Ctrl-C. Resolves to what the shell says $? is. */
async function readThenCtrlC(s: Shell): Promise<string> {
  s.line('hello')
  await waitFor('got:hello', () => /got:hello/.test(s.since()))
  s.term.write('\x03')
  await s.prompt()
  return lastStatus(s)
}
/** Ctrl-Z, then the prompt back and both stopped; resolves to what the shell printed. */
async function ctrlZ(s: Shell, init: number, prog: number, on = 'sleep'): Promise<string> {
  s.mark()
  await typeCtrlZ(s, prog, on)
  const after = await s.prompt()
  await waitFor('both stopped', () => state(init) === 'T' && state(prog) === 'T')
  return after
}

for (const logArgs of [[], ['-vvv'], ['--log-format', 'json', '-vv']]) {
  t.test(`Ctrl-Z gives the prompt back, fg hands the terminal back, Ctrl-C exits 130 (${logArgs.join(' ') || 'plain'})`, async (t) => {
    const s = shell(t)
    const { init, prog } = await start(s, tiniShell([...logArgs, '--', 'sh', '-c', 'echo READY; read x; echo "got:$x"; sleep 100']))
    const after = await ctrlZ(s, init, prog, '')
    t.match(after, /Stopped/, 'bash reports a stopped job')
    t.equal(state(init), 'T', 'tini-ts is stopped')
    t.equal(state(prog), 'T', 'the program is stopped')
    t.match(await s.command('jobs'), /\[1\]\+\s+Stopped/, '`jobs` lists it as stopped')

    s.mark()
    s.line('fg')
    await waitFor('running again', () => state(init) === 'S' && state(prog) === 'S')
    await waitFor('the program owns the terminal', () => ownsTerminal(prog))
    t.equal(procStat(prog)?.pgrp, prog, 'the program still leads its own group')
    t.match(await readThenCtrlC(s), /status=130/, 'the program read the line (the terminal is its own again); Ctrl-C: exit 130, SIGINT reached it')
    if (logArgs.includes('-vvv')) t.match(s.out(), /Child stopped by 'SIGTSTP'/, 'the stop is logged at debug')
    if (logArgs.includes('json')) t.match(s.out(), /"event":"spawned"/, 'json log lines on the terminal')
  })
}

t.test('bg runs it in the background; a read there stops the job (SIGTTIN), fg resumes the read', async (t) => {
  const s = shell(t)
  const { init, prog } = await start(s, tiniShell(['--', 'sh', '-c', 'echo READY; sleep 1; echo BGTICK; read x; echo "got:$x"; exit 7']))
  await ctrlZ(s, init, prog)
  s.mark()
  s.line('bg')
  await s.prompt()
  await waitFor('running in the background', () => state(init) === 'S' && state(prog) !== 'T')
  t.match(await s.command('jobs'), /\[1\]\+\s+Running/, '`jobs` lists it as running')
  // the shell keeps the terminal while the job runs in the background
  t.match(await s.command('echo "shell:$((6*7))"'), /shell:42/, 'the shell reads and runs commands meanwhile')
  // the program reaches its `read` in the background: SIGTTIN stops it, and the job
  await waitFor('BGTICK', () => s.out().includes('BGTICK'))
  await waitFor('stopped by the background read', () => state(init) === 'T' && state(prog) === 'T')
  t.match(await s.command('jobs'), /\[1\]\+\s+Stopped/, 'the shell sees the job stopped')
  s.mark()
  s.line('fg')
  await waitFor('running again', () => state(prog) === 'S')
  await waitFor('the program owns the terminal', () => ownsTerminal(prog))
  s.line('world')
  await s.prompt()
  t.match(s.since(), /got:world/, 'the read resumed in the foreground')
  t.match(await lastStatus(s), /status=7/, "the program's exit status")
})

t.test('bg to the end: the shell keeps its terminal after the program exits', async (t) => {
  const s = shell(t)
  const { init, prog } = await start(s, tiniShell(['--', 'sh', '-c', 'echo READY; sleep 1; echo BGDONE']))
  await ctrlZ(s, init, prog)
  s.line('bg')
  await waitFor('BGDONE', () => s.out().includes('BGDONE'))
  await waitFor('tini-ts gone', () => procStat(init) === undefined || procStat(init)?.state === 'Z')
  t.match(await s.command('echo "alive:$((1+1))"'), /alive:2/, 'the shell still reads its terminal (tini-ts did not take it back)')
})

t.test('in a script (no job control of its own), Ctrl-Z stops the whole job', async (t) => {
  // sh runs tini-ts in its own process group: tini-ts stops that group, so
  // the interactive shell sees its job (sh) stop.
  const s = shell(t)
  const { init, prog } = await start(s, `sh -c ${shq(`${tiniShell(['--', 'sh', '-c', 'echo READY; sleep 100'])}; echo AFTER`)}`)
  s.mark()
  await typeCtrlZ(s, prog)
  t.match(await s.prompt(), /Stopped/)
  t.equal(state(init), 'T')
  t.equal(state(prog), 'T')
  s.line('fg')
  await waitFor('running again', () => state(init) === 'S' && state(prog) === 'S')
  s.term.write('\x03')
  s.mark()
  await s.prompt()
})

// Started in the background (`cmd &`), tini-ts cannot hand the program the
// terminal: the shell owns it. `fg` gives it to tini-ts's group, not the
// program's; the program's first read then stops it (SIGTTIN), and tini-ts
// hands it the terminal and lets it go on.
const FLAG_WAIT = (flag: string) => `while [ ! -e ${shq(flag)} ]; do sleep 0.05; done`

for (const logArgs of [[], ['-vvv'], ['--log-format', 'json', '-vv']]) t.test(`started with &, then fg while it runs: the program gets the terminal when it reads; Ctrl-C exits 130 (${logArgs.join(' ') || 'plain'})`, async (t) => {
  const s = shell(t)
  const flag = join(mkdtempSync(join(tmpdir(), 'tini-ts-fg-')), 'go')
  t.teardown(() => rmSync(dirname(flag), { recursive: true, force: true }))
  const { init, prog } = await start(s, `${tiniShell([...logArgs, '--', 'sh', '-c', `echo READY; ${FLAG_WAIT(flag)}; read x; echo "got:$x"; sleep 100`])} &`)
  await s.prompt()
  s.mark()
  s.line('fg')
  await waitFor('tini-ts in the foreground', () => ownsTerminal(init))
  t.not(procStat(prog)?.pgrp, procStat(init)?.pgrp, 'the program leads a group of its own')
  writeFileSync(flag, '') // now the program reads, from the background of the terminal
  await waitFor('the program owns the terminal', () => ownsTerminal(prog))
  t.not(state(init), 'T', 'tini-ts did not stop (no stopped job after fg)')
  t.match(await readThenCtrlC(s), /status=130/, 'Ctrl-C freed the terminal: exit 130')
})

t.test('started with &, it reads in the background: the job stops; fg hands the program the terminal; Ctrl-C exits 130', async (t) => {
  const s = shell(t)
  const { init, prog } = await start(s, `${tiniShell(['--', 'sh', '-c', 'echo READY; read x; echo "got:$x"; sleep 100'])} &`)
  await waitFor('both stopped by the background read', () => state(init) === 'T' && state(prog) === 'T')
  t.match(await s.command('jobs'), /\[1\]\+\s+Stopped/, 'the shell sees a stopped job')
  s.mark()
  s.line('fg')
  await waitFor('the program owns the terminal', () => ownsTerminal(prog))
  t.match(await readThenCtrlC(s), /status=130/, 'exit 130')
})

t.test('control: a program left in a group of its own after fg stays stopped on SIGTTIN, and Ctrl-C cannot free the terminal', async (t) => {
  // What tini-ts did before it followed such a job: the program in its own
  // group, which nobody hands the terminal after `fg`.
  const s = shell(t)
  const flag = join(mkdtempSync(join(tmpdir(), 'tini-ts-fg-')), 'go')
  t.teardown(() => rmSync(dirname(flag), { recursive: true, force: true }))
  const own = `import os,sys; os.setpgid(0, 0); sys.stdin.readline()`
  await s.prompt()
  s.mark()
  s.line(`sh -c ${shq(`echo READY; ${FLAG_WAIT(flag)}; python3 -c ${shq(own)}`)} &`)
  await waitFor('READY', () => READY_LINE.test(s.since()))
  const job = (await waitFor('the job', () => children(s.term.pid).find((c) => c.comm === 'sh'))).pid
  await s.prompt()
  s.line('fg')
  await waitFor('the job in the foreground', () => ownsTerminal(job))
  writeFileSync(flag, '') // now the program starts, moves to a group of its own and reads
  const prog = (await waitFor('the program', () => children(job).find((c) => c.comm === 'python3'))).pid
  await waitFor('the program stopped on SIGTTIN', () => state(prog) === 'T')
  s.mark()
  s.term.write('\x03')
  await sleep(1500)
  t.equal(state(prog), 'T', 'still stopped')
  t.notMatch(s.since(), new RegExp(PROMPT), 'no prompt: Ctrl-C did not free the terminal')
  process.kill(prog, 'SIGKILL')
})

t.test('control: Debian tini leaves the terminal hung on Ctrl-Z', { skip: !haveBinary('tini') && 'tini not installed' }, async (t) => {
  const s = shell(t)
  const { init, prog } = await start(s, `/usr/bin/tini -- sh -c 'echo READY; sleep 100'`, 'tini')
  s.mark()
  await typeCtrlZ(s, prog)
  await waitFor('program stopped', () => state(prog) === 'T')
  await sleep(1500)
  t.notMatch(s.since(), new RegExp(PROMPT), 'no prompt: the shell still waits for a job that never stops')
  t.not(state(init), 'T', 'tini runs on, waiting')
})

t.test('control: as PID 1 tini-ts never stops itself, even in a terminal', async (t) => {
  const s = shell(t)
  const { init, prog } = await start(s, `unshare --pid --fork --mount-proc ${tiniShell(['--', 'sh', '-c', 'echo READY; sleep 100'])}`)
  s.mark()
  await typeCtrlZ(s, prog)
  await waitFor('program stopped', () => state(prog) === 'T')
  await sleep(1500)
  t.not(state(init), 'T', 'PID 1 runs on')
  t.notMatch(s.since(), new RegExp(PROMPT), 'so the prompt does not come back (as with tini)')
})

t.test('outside a terminal nothing changes: the program stopping never stops tini-ts', async (t) => {
  const [file, ...args] = tiniArgv(['--', 'sleep', '100'])
  const p = execa(file, args, { stdin: 'ignore', reject: false, env: { TINI_SUBREAPER: '1' } })
  t.teardown(() => killTree(p.pid))
  const init = await waitFor('tini-ts', () => (p.pid && procStat(p.pid)?.comm === 'tini-ts' ? p.pid : 0))
  const prog = await waitFor('program', () => children(init).find((c) => c.comm === 'sleep'))
  process.kill(init, 'SIGTSTP') // forwarded: the program stops
  await waitFor('program stopped', () => state(prog.pid) === 'T')
  process.kill(prog.pid, 'SIGSTOP')
  await sleep(500)
  t.equal(state(init), 'S', 'tini-ts runs on')
  process.kill(init, 'SIGCONT')
  await waitFor('program continued', () => state(prog.pid) === 'S')
  process.kill(init, 'SIGTERM')
  const r = await p
  t.equal(r.exitCode, 143)
})
