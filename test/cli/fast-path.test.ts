// Which path runs each invocation. dist/tini-ts is the native front end: it
// runs `-s` probes with only the options it implements itself, and execs the
// Node executable (tini-ts-node, beside it) for everything else, with the
// same pid. The program tells which ran: the init is its parent, and
// /proc/PPID/exe names the executable the init is running now.
//
// Each row has a control in the other direction: the same invocation with
// one thing changed (-s taken away, -v added, a variable set...). Then the
// two paths side by side: the same exit codes and the same stderr lines.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BASE_ENV, FRONT, NODE, runSync, scratchDir, skip } from '../helpers/front-end'

const TMP = scratchDir('fastpath')
const WHICH = ['sh', '-c', 'basename "$(readlink /proc/$PPID/exe)"']

/** argv run with the variables given and nothing else of ours. */
const run = (argv: string[], env: Record<string, string> = {}, input?: string) => runSync(argv, { ...BASE_ENV, ...env }, input)

/** The executable that ran the init for this invocation. */
function pathOf(args: string[], env: Record<string, string> = {}, wrap: string[] = []): string {
  const r = run([...wrap, FRONT, ...args, ...WHICH], env)
  return r.stdout.trim().split('\n').pop()?.trim() ?? `(exit ${r.code}: ${r.stderr})`
}

/** stderr with the init's pid made neutral, for comparing the two paths. */
const neutral = (s: string) => s.replace(/tini-ts \(\d+\)/g, 'tini-ts (PID)')

const FAST = 'tini-ts'
const SLOW = 'tini-ts-node'

// [what, args before the program, env, path]
const ROWS: [string, string[], Record<string, string>, string][] = [
  ['-s', ['-s', '--'], {}, FAST],
  ['control: no -s (not a subreaper)', ['--'], {}, SLOW],
  ['TINI_SUBREAPER', ['--'], { TINI_SUBREAPER: '' }, FAST],
  ['every option it implements, clustered and --opt=value', ['-sg', '-e3', '-e', '4', '-p', 'sigkill', '--timeout=30s', '--grace', '1.5s', '--cleanup', '--'], {}, FAST],
  ['--no-cleanup, TINI_KILL_PROCESS_GROUP, TINI_TS_NO_CLEANUP', ['-s', '--no-cleanup', '--'], { TINI_KILL_PROCESS_GROUP: '', TINI_TS_NO_CLEANUP: '' }, FAST],
  ['without -- (the first word that is not an option)', ['-s'], {}, FAST],
  ['control: -v', ['-s', '-v', '--'], {}, SLOW],
  ['control: -w', ['-s', '-w', '--'], {}, SLOW],
  ['control: --log-format text', ['-s', '--log-format', 'text', '--'], {}, SLOW],
  ['control: --rewrite', ['-s', '--rewrite', '1:2', '--'], {}, SLOW],
  ['control: -p with a real-time signal name', ['-s', '-p', 'SIGRTMIN', '--'], {}, SLOW],
  ['control: a duration with blanks (Node reads it)', ['-s', '--timeout', ' 30s', '--'], {}, SLOW],
  ['control: TINI_VERBOSITY', ['-s', '--'], { TINI_VERBOSITY: '1' }, SLOW],
  ['control: TINI_TS_LOG_FORMAT', ['-s', '--'], { TINI_TS_LOG_FORMAT: 'text' }, SLOW],
  ['control: LISTEN_PID (socket activation)', ['-s', '--'], { LISTEN_PID: '1' }, SLOW],
]

t.test('which path runs which invocation', { skip }, async (t) => {
  for (const [what, args, env, want] of ROWS) t.equal(pathOf(args, env), want, what)
})

t.test('PID 1 takes the Node path (control: the same, not PID 1)', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async (t) => {
  const r = run(['unshare', '--pid', '--fork', '--mount-proc', FRONT, '-s', '--', 'sh', '-c', 'basename "$(readlink /proc/1/exe)"'])
  t.equal(r.stdout.trim(), SLOW, `as PID 1: ${r.stderr}`)
  t.equal(pathOf(['-s', '--']), FAST, 'control: not PID 1')
})

t.test('a terminal to hand over takes the Node path', { skip }, async (t) => {
  // pty.spawn: the init is a session leader whose group owns the terminal
  const pty = ['python3', '-c', 'import pty, sys; pty.spawn(sys.argv[1:])']
  const r = run([...pty, FRONT, '-s', '--', ...WHICH])
  t.match(r.stdout, new RegExp(`^${SLOW}\\r?$`, 'm'), 'on a terminal it owns')
  t.equal(pathOf(['-s', '--'], {}, []), FAST, 'control: stdin not a terminal')
})

t.test('in the background of its terminal (`cmd &`) it takes the Node path', { skip }, async (t) => {
  // A session on a pty whose leader's group is in the foreground; the init
  // runs in a group of its own, as a shell starts `cmd &`. After `fg` the
  // program may need the terminal, and only the Node path hands it over.
  const background = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    if os.fork() == 0:
        os.setpgid(0, 0)
        os.execvp(sys.argv[1], sys.argv[1:])
    os._exit(os.waitstatus_to_exitcode(os.wait()[1]))
out = b''
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
`
  const bg = run(['python3', '-c', background, FRONT, '-s', '--', 'sh', '-c', `${WHICH[2]}; test -t 0 && echo tty`])
  t.match(bg.stdout, new RegExp(`^${SLOW}\\r?\ntty\\r?$`, 'm'), `stdin our terminal, another group in its foreground: ${bg.stderr}`)
  // control: a pty that is not our controlling terminal is just a file
  const other = 'import os, subprocess, sys; m, s = os.openpty(); sys.exit(subprocess.run(sys.argv[1:], stdin=s).returncode)'
  const not = run(['python3', '-c', other, FRONT, '-s', '--', 'sh', '-c', `${WHICH[2]}; test -t 0 && echo tty`])
  t.equal(not.stdout, `${FAST}\ntty\n`, 'control: stdin a terminal, not ours: the fast path')
})

t.test('a program name that is not UTF-8 takes the Node path, bytes intact', { skip }, async (t) => {
  const dir = join(TMP, 'bin')
  spawnSync('mkdir', ['-p', dir])
  // bash builds the name: Node's strings cannot hold the byte 0xff
  const r = run(['bash', '-c', `ln -sf /bin/sh ${dir}/sh$'\\xff' && exec "$0" -s -- ${dir}/sh$'\\xff' -c 'basename "$(readlink /proc/$PPID/exe)"; od -An -c /proc/$$/cmdline | tr -s " "'`, FRONT])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, new RegExp(`^${SLOW}$`, 'm'), 'the Node path ran it')
  t.match(r.stdout, /h 377 \\0/, 'the program got the byte 0xff in its argv[0]')
  symlinkSync('/bin/sh', join(dir, 'plain'))
  t.equal(run([FRONT, '-s', '--', join(dir, 'plain'), '-c', 'basename "$(readlink /proc/$PPID/exe)"']).stdout.trim(), FAST, 'control: a UTF-8 name runs here')
})

t.test('without tini-ts-node beside it: one line naming the file, exit 1, nothing started', { skip }, async (t) => {
  const dir = join(TMP, 'alone')
  spawnSync('mkdir', ['-p', dir])
  spawnSync('cp', [FRONT, join(dir, 'tini-ts')])
  const marker = join(TMP, 'ran')
  // another install's tini-ts-node in PATH: never to be taken instead
  const other = join(TMP, 'other-install')
  spawnSync('mkdir', ['-p', other])
  writeFileSync(join(other, 'tini-ts-node'), `#!/bin/sh\ntouch ${marker}-other\n`, { mode: 0o755 })
  const env = { PATH: `${other}:/usr/bin:/bin` }
  const r = run([join(dir, 'tini-ts'), '-v', '--', 'touch', marker], env)
  t.equal(r.code, 1, 'exit 1')
  t.equal(neutral(r.stderr), `[FATAL tini-ts (PID)] cannot run the Node executable ${join(dir, 'tini-ts-node')}: No such file or directory\n`, 'one line: the file and why')
  t.notOk(existsSync(marker), 'the program did not run')
  t.notOk(existsSync(`${marker}-other`), "another install's tini-ts-node did not run")
  const fast = run([join(dir, 'tini-ts'), '-s', '--', 'touch', marker], env)
  t.equal(fast.code, 0, 'control: the fast path needs no Node executable')
  t.ok(existsSync(marker), 'control: and runs the program')
  run([join(other, 'tini-ts-node')])
  t.ok(existsSync(`${marker}-other`), "control: the other install's tini-ts-node runs when run")
})

t.test('a tini-ts-node beside it that cannot be run: said, not replaced by one in PATH', { skip }, async (t) => {
  const dir = join(TMP, 'noexec')
  const other = join(TMP, 'other-install-2')
  spawnSync('mkdir', ['-p', dir, other])
  spawnSync('cp', [FRONT, join(dir, 'tini-ts')])
  const marker = join(TMP, 'noexec-ran')
  const stub = (where: string, mode: number) =>
    writeFileSync(join(where, 'tini-ts-node'), `#!/bin/sh\necho "${where}" >> ${marker}\n`, { mode })
  stub(dir, 0o644)
  stub(other, 0o755)
  const env = { PATH: `${other}:/usr/bin:/bin` }
  const r = run([join(dir, 'tini-ts'), '-v', '--', 'true'], env)
  t.equal(r.code, 1, 'exit 1')
  t.equal(neutral(r.stderr), `[FATAL tini-ts (PID)] cannot run the Node executable ${join(dir, 'tini-ts-node')}: Permission denied\n`, 'one line: the file and why')
  t.notOk(existsSync(marker), 'nothing ran: neither the one beside it nor the one in PATH')
  chmodSync(join(dir, 'tini-ts-node'), 0o755)
  const ok = run([join(dir, 'tini-ts'), '-v', '--', 'true'], env)
  t.equal(ok.code, 0, 'control: made executable, it is run')
  t.equal(readFileSync(marker, 'utf8'), `${dir}\n`, 'control: the one beside it, only')
})

// [what, args, env]: each run on both paths, compared
const SAME: [string, string[], Record<string, string>][] = [
  ['exit status', ['-s', '--', 'sh', '-c', 'exit 3'], {}],
  ['a signal death: 128+N', ['-s', '--', 'sh', '-c', 'kill -USR1 $$'], {}],
  ['-e remaps', ['-s', '-e', '3', '-e4', '--', 'sh', '-c', 'exit 4'], {}],
  ['-e leaves others', ['-s', '-e', '3', '--', 'sh', '-c', 'exit 5'], {}],
  ['-e remaps a signal death', ['-s', '-e', '143', '--', 'sh', '-c', 'kill -TERM $$'], {}],
  ['not found: 127', ['-s', '--', '/nonexistent/prog'], {}],
  ['not found in PATH: 127', ['-s', '--', 'no-such-command-here'], {}],
  ['not executable: 126', ['-s', '--', '/etc/passwd'], {}],
  ['a directory: 126', ['-s', '--', '/'], {}],
  ['empty name: 127', ['-s', '--', ''], {}],
  ['a name too long for a PATH search: 126', ['-s', '--', 'x'.repeat(300)], {}],
  ['a name with control characters, escaped', ['-s', '--', '/no/such\n[WARN  tini-ts (1)] forged\x1b[31m\\'], {}],
  ['a script without #! runs under /bin/sh', ['-s', '--', join(TMP, 'nosheb'), 'arg'], {}],
  ['-s --timeout: 124 and its warning', ['-s', '--timeout', '200ms', '--grace', '100ms', '--', 'sleep', '30'], {}],
  ['--timeout 1.5s is said as 1500ms', ['-s', '--timeout', '1.5s', '--grace', '50ms', '--', 'sleep', '30'], {}],
  ['a --timeout that does not fire changes nothing', ['-s', '--timeout', '30s', '--', 'sh', '-c', 'exit 2'], {}],
  ['cleanup after the program: status kept', ['-s', '--', 'sh', '-c', 'sleep 30 & exit 6'], {}],
]

t.test('the same exit codes and stderr on both paths', { skip }, async (t) => {
  spawnSync('sh', ['-c', `printf 'echo "nosheb $1"\\n' > ${join(TMP, 'nosheb')}; chmod +x ${join(TMP, 'nosheb')}`])
  for (const [what, args, env] of SAME) {
    const fast = run([FRONT, ...args], env)
    const slow = run([NODE, ...args], env)
    t.equal(fast.code, slow.code, `${what}: exit ${fast.code}, as the Node path`)
    t.equal(neutral(fast.stderr), neutral(slow.stderr), `${what}: the same stderr`)
    t.equal(fast.stdout, slow.stdout, `${what}: the same stdout`)
  }
})

t.test('without /proc: hands over, finding tini-ts-node beside argv[0] or through PATH', { skip: skip || (process.getuid?.() === 0 ? false : 'needs root') }, async (t) => {
  const noProc = (cmd: string, env: Record<string, string> = {}) =>
    run(['unshare', '--mount', '--pid', '--fork', 'sh', '-c', `umount -l /proc && ${cmd}`], env)
  const a = noProc(`exec ${FRONT} -s -- sh -c 'echo ran; exit 3'`)
  t.equal(a.code, 3, `by path: the program's status (${a.stderr})`)
  t.equal(a.stdout, 'ran\n')
  const b = noProc(`cd / && exec tini-ts -s -- sh -c 'echo ran; exit 4'`, { PATH: `${dirname(FRONT)}:/usr/bin:/bin` })
  t.equal(b.code, 4, `by name through PATH: the program's status (${b.stderr})`)
  t.equal(b.stdout, 'ran\n')
  const c = noProc('ls /proc/self')
  t.not(c.code, 0, 'control: no /proc/self in there')
})
