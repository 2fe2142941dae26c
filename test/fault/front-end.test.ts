// The native front end (dist/tini-ts) on its fast path, under hostile
// conditions: a signal already there when it starts, a full pids cgroup, a
// closed stdout, odd descriptors, bytes that are not UTF-8, leftovers that
// ignore SIGTERM, a setsid daemon, signals after the program is reaped.
// Where the Node path behaves the same it runs as well; where it differs
// (and the README says so) it is the control.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makePidsCgroup, pidsCgroupUnavailable } from '../helpers/cgroup'
import { BASE_ENV as ENV, FRONT, NODE, runSync, scratchDir, skip } from '../helpers/front-end'
import { waitFor } from '../helpers/tini'

const TMP = scratchDir('frontend')

const py = (script: string, args: string[] = [], env: Record<string, string> = ENV) => runSync(['python3', '-c', script, ...args], env)

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

// Blocks SIGTERM, sends it to itself (pending), then execs the init: the
// signal is there before the init's first instruction.
const PENDING_AT_EXEC = `
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
os.kill(os.getpid(), signal.SIGTERM)
os.execv(sys.argv[1], sys.argv[1:])
`

// The program gets the mask the init was given (as with tini): SIGTERM
// blocked here, so it unblocks it, and the forwarded SIGTERM, pending in it,
// ends it then.
const UNBLOCK_AND_WAIT = 'import signal, time; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM}); time.sleep(30)'

t.test('a signal there before the first instruction reaches the program', { skip }, async (t) => {
  const r = py(PENDING_AT_EXEC, [FRONT, '-s', '--', 'python3', '-c', UNBLOCK_AND_WAIT])
  t.equal(r.signal, null, 'the init was not killed by it')
  t.equal(r.code, 143, 'the program was: 128+SIGTERM')
  // control: the Node executable run directly unblocks it at its start-up,
  // before any of its code: the default action ends it (README, "Hostile
  // conditions")
  const c = py(PENDING_AT_EXEC, [NODE, '-s', '--', 'python3', '-c', UNBLOCK_AND_WAIT])
  t.equal(c.signal, 'SIGTERM', 'control: the Node path dies of it')
})

t.test('full pids cgroup: one line, exit 1, as the Node path says it', { skip: skip || pidsCgroupUnavailable() }, async (t) => {
  const full = makePidsCgroup(1)
  t.teardown(() => full.remove())
  const r = spawnSync(full.wrap([FRONT, '-s', '--', 'true'])[0], full.wrap([FRONT, '-s', '--', 'true']).slice(1), { env: ENV, encoding: 'utf8' })
  t.equal(r.status, 1)
  const line = /^\[FATAL tini-ts \(\d+\)\] (cannot start true: .*)\n$/.exec(r.stderr)
  t.ok(line, `one line: ${r.stderr}`)
  // The Node path's runtime takes 3 pids and its log writer 1 (test/fault/limits)
  const four = makePidsCgroup(4)
  t.teardown(() => four.remove())
  const argv = four.wrap([NODE, '-s', '--', 'true'])
  const n = spawnSync(argv[0], argv.slice(1), { env: ENV, encoding: 'utf8' })
  t.equal(n.status, 1, 'the Node path: exit 1 too')
  t.equal(line?.[1], /\] (cannot start true: .*)\n$/.exec(n.stderr)?.[1], 'the same words')
  const room = makePidsCgroup(2)
  t.teardown(() => room.remove())
  const ok = room.wrap([FRONT, '-s', '--', 'true'])
  t.equal(spawnSync(ok[0], ok.slice(1), { env: ENV }).status, 0, 'control: with one pid free the program runs')
})

const FD_VIEW = `
import json, os, sys
out = {}
for fd in range(256):
    try:
        st = os.fstat(fd)
    except OSError:
        continue
    out[fd] = [os.readlink('/proc/self/fd/%d' % fd), st.st_ino, os.get_inheritable(fd)]
print(json.dumps(out))
`

t.test('descriptors exactly as given: dups, both ends of a pipe, above 64, a closed stdout', { skip }, async (t) => {
  const driver = `
import json, os, subprocess, sys
r, w = os.pipe()
for fd, src in ((5, r), (6, w), (7, 2), (70, r)):
    os.dup2(src, fd)
os.close(r); os.close(w)
view = sys.argv[2]
exec(view.replace('print(json.dumps(out))', 'mine = out'))
mine = {fd: v for fd, v in mine.items() if fd in (0, 2, 5, 6, 7, 70)}
p = subprocess.run([sys.argv[1], '-s', '--', sys.executable, '-c', view], pass_fds=(5, 6, 7, 70), stdout=subprocess.PIPE)
theirs = json.loads(p.stdout)
print(json.dumps({'code': p.returncode, 'err': '', 'same': {str(k): v for k, v in mine.items()} == {k: v for k, v in theirs.items() if k != '1'}, 'theirs': sorted(map(int, theirs))}))
`
  for (const [name, bin] of [['fast path', FRONT], ['Node path', NODE]]) {
    const r = JSON.parse(py(driver, [bin, FD_VIEW]).stdout)
    t.equal(r.code, 0, `${name}: ${r.err}`)
    t.ok(r.same, `${name}: 0, 2, 5, 6, 7, 70: the same files, inodes and inheritability`)
    t.same(r.theirs, [0, 1, 2, 5, 6, 7, 70], `${name}: and nothing else`)
  }
  // stdout closed: the fast path passes it closed, as tini does; the Node
  // path's runtime opens /dev/null there at its start (README)
  const closed = (bin: string) => spawnSync('sh', ['-c', `exec "$@" >&-`, 'sh', bin, '-s', '--', 'python3', '-c', FD_VIEW.replace('print(json.dumps(out))', "import sys; sys.stderr.write(json.dumps(out.get(1, 'closed')))")], { env: ENV, encoding: 'utf8' })
  const f = closed(FRONT)
  t.equal(f.status, 0)
  t.equal(f.stderr, '"closed"', 'fast path: the program finds fd 1 closed')
  t.match(closed(NODE).stderr, /\/dev\/null/, 'control: the Node path hands it /dev/null')
})

t.test('argv and environment bytes that are not UTF-8, exactly', { skip }, async (t) => {
  const driver = `
import os, subprocess, sys
args = [b'\\xff\\xfe', b'caf\\xc3\\xa9', b'', b'\\x80x']
prog = b'import os, sys; sys.stdout.buffer.write(open("/proc/self/cmdline", "rb").read() + b"|" + os.environb[b"ODD"] + b"|" + os.readlink("/proc/%d/exe" % os.getppid()).encode())'
p = subprocess.run([sys.argv[1].encode(), b'-s', b'--', sys.executable.encode(), b'-c', prog] + args,
                   env={b'PATH': b'/usr/bin:/bin', b'ODD': b'\\xff\\x01\\xc3('}, stdout=subprocess.PIPE)
cmd, env, exe = p.stdout.rsplit(b'|', 2)
want = b'\\0'.join([sys.executable.encode(), b'-c', prog] + args) + b'\\0'
print(cmd == want, env == b'\\xff\\x01\\xc3(', exe.decode())
`
  const [argv, env, exe] = py(driver, [FRONT]).stdout.trim().split(' ')
  t.equal(argv, 'True', 'argv byte for byte')
  t.equal(env, 'True', 'the environment byte for byte')
  t.equal(exe.split('/').pop(), 'tini-ts', 'on the fast path')
})

t.test('--timeout/--grace: 124, the whole tree gone, a setsid daemon and a TERM-ignorer too', { skip }, async (t) => {
  const pids = join(TMP, 'timeout-pids')
  const prog = `(trap "" TERM; exec sleep 60) & echo $! >> ${pids}; setsid sh -c 'sleep 60 & echo $! >> ${pids}'; exec sleep 60`
  const r = spawnSync(FRONT, ['-s', '--timeout', '300ms', '--grace', '200ms', '--', 'sh', '-c', prog], { env: ENV, encoding: 'utf8' })
  t.equal(r.status, 124)
  t.match(r.stderr, /^\[WARN {2}tini-ts \(\d+\)\] Program still running after 300ms: terminating it and its descendants\n$/)
  const left = readFileSync(pids, 'utf8').trim().split('\n').map(Number)
  t.equal(left.length, 2, 'two descendants were started')
  t.same(left.filter(alive), [], 'none is left running')
})

t.test('default cleanup of a setsid daemon; --no-cleanup leaves it', { skip }, async (t) => {
  for (const [name, extra, survives] of [['default', [], false], ['control: --no-cleanup', ['--no-cleanup'], true]] as const) {
    const file = join(TMP, `daemon-${survives}`)
    // setsid in the foreground: the daemon's parent exits, the daemon is
    // re-parented to the init (a subreaper), in a session of its own
    const r = spawnSync(FRONT, ['-s', ...extra, '--', 'sh', '-c', `setsid sh -c 'sleep 60 >/dev/null 2>&1 & echo $! > ${file}'; exit 4`], { env: ENV, encoding: 'utf8' })
    t.equal(r.status, 4, `${name}: the program's status`)
    t.equal(r.stderr, '', `${name}: nothing on stderr`)
    const pid = Number(readFileSync(file, 'utf8'))
    t.equal(alive(pid), survives, `${name}: the daemon ${survives ? 'still runs' : 'is gone'}`)
    if (survives) process.kill(pid, 'SIGKILL')
  }
})

t.test('after the program is reaped nothing is forwarded, with -g too', { skip }, async (t) => {
  const got = join(TMP, 'hup')
  // a leftover in the program's process group that ignores SIGTERM (so the
  // cleanup waits out --grace) and records SIGHUP
  const ready = join(TMP, 'hup-ready')
  const leftover = `sh -c 'trap "" TERM; trap "echo HUP >> ${got}" HUP; echo L $$ > ${ready}; while :; do sleep 0.02; done'`
  // the program exits once the leftover's traps are set
  const prog = `${leftover} & while [ ! -s ${ready} ]; do sleep 0.01; done; cat ${ready}; echo P $$`
  const p = spawn(FRONT, ['-s', '-g', '--grace', '3s', '--', 'sh', '-c', prog], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  p.stdout.on('data', (d) => (out += d))
  p.stderr.on('data', (d) => (err += d))
  const exited = new Promise<number | null>((r) => p.on('close', (c) => r(c)))
  await waitFor('both pids', () => /L \d+\n/.test(out) && /P \d+\n/.test(out))
  const left = Number(/L (\d+)/.exec(out)?.[1])
  const program = Number(/P (\d+)/.exec(out)?.[1])
  await waitFor('the program reaped', () => !existsSync(`/proc/${program}`))
  process.kill(p.pid as number, 'SIGHUP')
  await waitFor('the warning', () => err.includes("Child was dead when forwarding signal 'SIGHUP'"))
  t.match(err, /^\[WARN {2}tini-ts \(\d+\)\] Child was dead when forwarding signal 'SIGHUP'\n$/, 'said, not sent')
  t.notOk(existsSync(got), 'the leftover in the old group got no SIGHUP')
  process.kill(left, 'SIGHUP')
  await waitFor('control: the leftover records a SIGHUP', () => existsSync(got))
  t.pass('control: a SIGHUP sent to it is seen')
  t.equal(await exited, 0, "the program's status, once the cleanup is done")
  t.notOk(alive(left), 'the leftover was killed after --grace')
})

t.test('-p: the parent-death signal reaches the program', { skip }, async (t) => {
  for (const [name, extra] of [['-p SIGTERM', ['-p', 'SIGTERM']], ['control: without -p', []]] as const) {
    const file = join(TMP, `pdeath-${extra.length}`)
    const prog = `trap "echo got TERM > ${file}; exit 0" TERM; echo $$; while :; do sleep 0.02; done`
    // a parent that starts the init, waits for the program's trap, and exits
    const parent = 'import subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL); print(p.pid, p.stdout.readline().decode().strip())'
    const [init, program] = py(parent, [FRONT, '-s', ...extra, '--', 'sh', '-c', prog]).stdout.trim().split(' ').map(Number)
    if (extra.length) {
      await waitFor(`${name}: the program got SIGTERM`, () => existsSync(file))
      t.equal(readFileSync(file, 'utf8').trim(), 'got TERM', name)
      await waitFor(`${name}: the init gone`, () => !alive(init))
    } else {
      t.ok(alive(init) && alive(program), `${name}: the init and the program keep running`)
      process.kill(program, 'SIGKILL')
      await waitFor('the init gone', () => !alive(init))
      t.notOk(existsSync(file), `${name}: no SIGTERM for the program`)
    }
  }
})

t.test('SIGCHLD ignored by whoever started it: the status still comes through', { skip }, async (t) => {
  // With SIGCHLD ignored the kernel reaps children itself, and a wait for
  // the program would never see it end. The front end takes SIGCHLD back
  // for itself and gives the program the ignored SIGCHLD it was given.
  const driver = `
import re, signal, subprocess, sys
prog = 'import re; print(re.search("SigIgn:\\\\s+(\\\\w+)", open("/proc/self/status").read()).group(1)); raise SystemExit(3)'
r = subprocess.run([sys.argv[1], '-s', '--', sys.executable, '-c', prog], stdout=subprocess.PIPE, timeout=20,
                   preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
print(r.returncode, int(r.stdout, 16) >> 16 & 1)
`
  t.equal(py(driver, [FRONT]).stdout.trim(), '3 1', "the program's status; SIGCHLD still ignored in the program")
})

t.test('cleanup under RLIMIT_NOFILE 6: more leftovers than descriptors, all gone', { skip: skip || (spawnSync('sh', ['-c', 'command -v prlimit']).status === 0 ? false : 'needs prlimit') }, async (t) => {
  // Only the pidfds of the path being walked are open at a time.
  for (const [name, extra, survive] of [['default', [], false], ['control: --no-cleanup', ['--no-cleanup'], true]] as const) {
    const file = join(TMP, `nofile-${survive}`)
    // python's posix_spawn: dash needs descriptors 10 and up for its redirections
    const prog = "import os, sys; fa = [(os.POSIX_SPAWN_OPEN, f, '/dev/null', os.O_WRONLY, 0) for f in (1, 2)]; " +
      "pids = [os.posix_spawn('/bin/sleep', ['sleep', '60'], os.environ, file_actions=fa) for _ in range(8)]; " +
      "open(sys.argv[1], 'w').write(' '.join(map(str, pids))); sys.exit(2)"
    const r = spawnSync('prlimit', ['--nofile=6', FRONT, '-s', ...extra, '--grace', '300ms', '--', 'python3', '-c', prog, file], { env: ENV, encoding: 'utf8' })
    t.equal(r.status, 2, `${name}: the program's status`)
    const pids = readFileSync(file, 'utf8').trim().split(' ').map(Number)
    t.equal(pids.filter(alive).length, survive ? 8 : 0, `${name}: ${survive ? 'all 8 still run' : 'none of the 8 is left'}`)
    for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL')
  }
})

t.test('a full stderr pipe nobody reads does not hold up --timeout', { skip }, async (t) => {
  // The warning line cannot be written: it is dropped, and the deadline
  // holds. Control: a plain blocking write to that pipe does block.
  const driver = `
import os, subprocess, sys, tempfile
fifo = os.path.join(tempfile.mkdtemp(), 'err')
os.mkfifo(fifo)
rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
wr = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
try:
    while True: os.write(wr, b'x' * 4096)
except BlockingIOError:
    pass
os.set_blocking(wr, True)
def run(argv, timeout):
    try:
        return subprocess.run(argv, stderr=wr, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return 'hung'
print(run([sys.argv[1], '-s', '--timeout', '300ms', '--grace', '100ms', '--', 'sleep', '30'], 20), run(['sh', '-c', 'echo x >&2'], 2))
`
  t.equal(py(driver, [FRONT]).stdout.trim(), '124 hung', 'exit 124 with the pipe full; control: a blocking write hangs there')
})

const havePrlimit = spawnSync('sh', ['-c', 'command -v prlimit']).status === 0 ? false : 'needs prlimit'

/** Runs the init under prlimit with stdout and stderr in files (leftovers
 * holding a pipe would keep spawnSync waiting); a hang is cut at 20 s
 * (SIGKILL: no exit code of ours). */
function limited(nofile: string, name: string, args: string[]) {
  const out = join(TMP, `${name}.out`)
  const err = join(TMP, `${name}.err`)
  const r = spawnSync('sh', ['-c', 'exec "$@" >"$OUT" 2>"$ERR"', 'sh', 'prlimit', `--nofile=${nofile}`, FRONT, ...args], { env: { ...ENV, OUT: out, ERR: err }, timeout: 20_000, killSignal: 'SIGKILL' })
  return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') }
}

t.test('RLIMIT_NOFILE 4, soft and hard: --timeout ends the tree, cleanup leaves nothing', { skip: skip || havePrlimit }, async (t) => {
  // One descriptor free: not even a children list and a pidfd at once. Our
  // own children (the program, and whatever is re-parented to us as the
  // tree dies) are still ours by pid until we reap them. The Node path
  // needs more than 20 descriptors to start (README): the fast path only.
  // (no redirections: dash saves descriptors at 10 and up, beyond the limit)
  // (no redirections: dash saves descriptors at 10 and up, beyond the
  // limit). The program goes on once the inner shell has said its child.
  const tree = String.raw`sh -c "/bin/sleep 60 & echo \$!; touch "\$OUT.ready"; exec /bin/sleep 61" & echo $!; ` +
    'until [ -e "$OUT.ready" ]; do /bin/sleep 0.01; done; rm "$OUT.ready"'
  const timed = limited('4', 'nofile4-timeout', ['-s', '--timeout', '300ms', '--grace', '100ms', '--', 'sh', '-c', `${tree}; exec /bin/sleep 62`])
  t.equal(timed.code, 124, `--timeout fires and the program ends: ${timed.stderr}`)
  t.match(timed.stderr, /^\[WARN {2}tini-ts \(\d+\)\] Program still running after 300ms: terminating it and its descendants\n$/)
  const pids = timed.stdout.trim().split('\n').map(Number)
  t.equal(pids.length, 2, 'two descendants were started')
  t.same(pids.filter(alive), [], 'none is left running')
  for (const [name, extra, survive] of [['cleanup', [], false], ['control: --no-cleanup', ['--no-cleanup'], true]] as const) {
    const r = limited('4', `nofile4-${survive}`, ['-s', ...extra, '--grace', '100ms', '--', 'sh', '-c', `${tree}; exit 7`])
    t.equal(r.code, 7, `${name}: the program's status`)
    t.equal(r.stderr, '', `${name}: nothing on stderr`)
    const left = r.stdout.trim().split('\n').map(Number)
    t.equal(left.length, 2, `${name}: two descendants were started`)
    t.equal(left.filter(alive).length, survive ? 2 : 0, `${name}: ${survive ? 'both still run' : 'none is left'}`)
    for (const p of left) if (alive(p)) process.kill(p, 'SIGKILL')
  }
})

t.test('RLIMIT_NOFILE soft 4, hard 64: the init takes room, the program gets exactly 4', { skip: skip || havePrlimit }, async (t) => {
  const r = limited('4:64', 'nofile-soft', ['-s', '--', 'sh', '-c', 'cat /proc/self/limits; cat /proc/$PPID/limits'])
  t.equal(r.code, 0, r.stderr)
  const [program, init] = [...r.stdout.matchAll(/^Max open files\s+(\d+)\s+(\d+)/gm)].map((m) => `${m[1]} ${m[2]}`)
  t.equal(program, '4 64', 'the program: the limits it was given')
  t.equal(init, '64 64', 'control: the init itself raised its soft limit')
})

t.test('a line over 4 KiB keeps its start, its error and its newline, on both paths', { skip }, async (t) => {
  // A pipe takes one write whole only up to 4096 bytes: the fast path cuts
  // the middle of a longer line (marked "..."), never a character in two.
  // The Node path writes it whole: its line is the control.
  const decode = (b: Buffer) => new TextDecoder('utf-8', { fatal: true }).decode(b)
  for (const [what, name] of [['ASCII', `./${'x'.repeat(4100)}`], ['two-byte characters', `./${'é'.repeat(2100)}`]] as const) {
    const lines: Record<string, string> = {}
    for (const [path, bin] of [['fast path', FRONT], ['Node path', NODE]] as const) {
      const r = spawnSync(bin, ['-s', '--', name], { env: ENV, timeout: 60_000 })
      t.equal(r.status, 126, `${what}, ${path}: exit 126`)
      const line = decode(r.stderr)
      t.match(line, /^\[FATAL tini-ts \(\d+\)\] exec \.\/(x|é){500}[^\n]* failed: File name too long\n$/, `${what}, ${path}: one whole line, the error at its end`)
      lines[path] = line
    }
    t.ok(Buffer.byteLength(lines['fast path']) <= 4096, `${what}: the fast path's line fits one pipe write`)
    t.match(lines['fast path'], /(x|é)\.\.\.(x|é)/, `${what}: the fast path marks the cut`)
    t.ok(Buffer.byteLength(lines['Node path']) > 4096, `${what}, control: the Node path's line is longer, whole`)
  }
})
