// TTY tier (node-pty): with a terminal on stdin the program runs in its own
// process group, made the foreground group: Ctrl-C reaches it, `read` works.
import t from 'tap'
import * as pty from 'node-pty'
import { existsSync } from 'node:fs'
import { children, procStat, tiniArgv, waitFor, killTree } from '../helpers/tini'

interface Run {
  term: pty.IPty
  out: () => string
  exit: Promise<{ exitCode: number; signal?: number }>
}

function run(t: any, args: string[]): Run {
  const [file, ...pre] = tiniArgv(args)
  const term = pty.spawn(file, pre, { name: 'xterm', cols: 80, rows: 24, cwd: process.cwd(), env: { ...process.env, TINI_SUBREAPER: '' } as any })
  let buf = ''
  term.onData((d) => (buf += d))
  const exit = new Promise<{ exitCode: number; signal?: number }>((res) => term.onExit(res))
  t.teardown(() => killTree(term.pid))
  return { term, out: () => buf, exit }
}

t.test('Ctrl-C reaches the program: exit 130', async (t) => {
  const r = run(t, ['--', 'sh', '-c', 'echo READY; sleep 100'])
  await waitFor('ready', () => r.out().includes('READY'))
  // the program owns the terminal: its group is the foreground group
  const prog = await waitFor('program', () => children(r.term.pid).find((c) => c.comm === 'sh'))
  const st = procStat(prog.pid)!
  t.equal(st.pgrp, prog.pid, 'the program leads its own process group')
  t.not(procStat(r.term.pid)!.pgrp, st.pgrp, 'the init is not in it')
  r.term.write('\x03')
  const e = await r.exit
  t.equal(e.exitCode, 130, 'exit 128+SIGINT')
})

t.test('`read` works as without an init', async (t) => {
  const r = run(t, ['--', 'sh', '-c', 'echo PROMPT; read x; echo "got:$x"; exit 3'])
  await waitFor('prompt', () => r.out().includes('PROMPT'))
  r.term.write('hello\r')
  const e = await r.exit
  t.match(r.out(), /got:hello/)
  t.equal(e.exitCode, 3)
})

t.test('the init ignores SIGTTOU: handing the terminal back from the background does not stop it', async (t) => {
  // The init reads its terminal facts and hands the terminal back at the end
  // from the background: without ignoring SIGTTOU it would stop itself.
  const r = run(t, ['-v', '--', 'sh', '-c', 'echo DONE'])
  const e = await r.exit
  t.match(r.out(), /DONE/)
  t.equal(e.exitCode, 0, 'exits normally, not stopped')
  t.match(r.out(), /Main child exited normally/, 'logged on the terminal (stderr)')
})

// As PID 1 of `unshare --pid --fork` on a terminal, the init's own process
// group (unshare's) lies outside its PID namespace: getpgrp() reads 0. The
// program gets the terminal, Ctrl-C ends it, and the init exits 130 as tini
// does (tini is the oracle), with no error of its own.
const LOOP = ['dash', '-c', 'while true; do echo \\#; sleep 0.1; done']
for (const [who, argv] of [
  ['tini-ts', tiniArgv(['--', ...LOOP])],
  ['tini-ts -vvv', tiniArgv(['-vvv', '--', ...LOOP])],
  ['tini-ts --log-format json -vv', tiniArgv(['--log-format', 'json', '-vv', '--', ...LOOP])],
  ['tini (oracle)', ['/usr/bin/tini', '--', ...LOOP]],
] as const) {
  t.test(`PID 1 in a PID namespace on a terminal: Ctrl-C exits 130 (${who})`, { skip: !existsSync(argv[0]) && `${argv[0]} not installed` }, async (t) => {
    const term = pty.spawn('unshare', ['--pid', '--fork', '--mount-proc', ...argv], { name: 'xterm', cols: 80, rows: 24, cwd: process.cwd(), env: process.env as any })
    let buf = ''
    term.onData((d) => (buf += d))
    const exit = new Promise<{ exitCode: number; signal?: number }>((res) => term.onExit(res))
    t.teardown(() => killTree(term.pid))
    await waitFor('the loop runs', () => buf.includes('#'))
    term.write('\x03')
    const e = await exit
    t.equal(e.exitCode, 130, 'exit 128+SIGINT')
    t.notMatch(buf, /internal error|FATAL|"level":"fatal"/, 'no error of the init')
  })
}
