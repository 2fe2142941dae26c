// Black-box: tini-ts run as users run it. Exit codes and usage errors, side
// by side with Debian's tini as the oracle where behaviours should match.
// (Intended differences: tini-ts logs everything to stderr, tini INFO/DEBUG
// to stdout; tini permutes arguments with getopt, tini-ts stops at the first
// non-option, so the oracle cases put `--` before the program.)
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { haveBinary, tiniArgv } from '../helpers/tini'

const TMP = mkdtempSync(join(tmpdir(), 'tini-ts-cli-'))
t.teardown(() => rmSync(TMP, { recursive: true, force: true }))
const NOEXEC = join(TMP, 'noexec.sh')
writeFileSync(NOEXEC, '#!/bin/sh\nexit 0\n', { mode: 0o644 })

async function tiniTs(args: string[], env: Record<string, string> = {}) {
  const [file, ...pre] = tiniArgv(args)
  return execa(file, pre, { reject: false, timeout: 60_000, env: { TINI_SUBREAPER: '', ...env }, stdin: 'ignore' })
}

async function oracle(args: string[]) {
  return execa('tini', args, { reject: false, timeout: 60_000, env: { TINI_SUBREAPER: '' }, stdin: 'ignore' })
}

const EXIT_CASES: [string, string[], number][] = [
  ['exit 0', ['--', 'true'], 0],
  ['exit 1', ['--', 'false'], 1],
  ['exit 3', ['--', 'sh', '-c', 'exit 3'], 3],
  ['exit 255', ['--', 'sh', '-c', 'exit 255'], 255],
  ['SIGTERM death: 128+15', ['--', 'sh', '-c', 'kill -TERM $$'], 143],
  ['SIGKILL death: 128+9', ['--', 'sh', '-c', 'kill -KILL $$'], 137],
  ['SIGUSR1 death: 128+10', ['--', 'sh', '-c', 'kill -USR1 $$'], 138],
  ['SIGSEGV death: 128+11', ['--', 'sh', '-c', 'kill -SEGV $$'], 139],
  ['-e 3 remaps 3', ['-e', '3', '--', 'sh', '-c', 'exit 3'], 0],
  ['-e 3 leaves 4', ['-e', '3', '--', 'sh', '-c', 'exit 4'], 4],
  ['-e repeated', ['-e', '3', '-e', '4', '--', 'sh', '-c', 'exit 4'], 0],
  ['-e 143 remaps a SIGTERM death', ['-e', '143', '--', 'sh', '-c', 'kill -TERM $$'], 0],
  ['-e 0', ['-e', '0', '--', 'true'], 0],
  ['not found (path)', ['--', '/nonexistent/program'], 127],
  ['not found (PATH search)', ['--', 'no-such-program-tini-ts'], 127],
  ['a directory: not executable', ['--', '/etc'], 126],
  ['no x bit: not executable', ['--', NOEXEC], 126],
  ['-p SIGTERM accepted', ['-p', 'SIGTERM', '--', 'true'], 0],
  ['-p SIGKILL accepted', ['-p', 'SIGKILL', '--', 'sh', '-c', 'exit 5'], 5],
  ['-vvv', ['-vvv', '--', 'sh', '-c', 'exit 6'], 6],
  ['-g', ['-g', '--', 'sh', '-c', 'exit 7'], 7],
  ['-w', ['-w', '--', 'sh', '-c', 'exit 8'], 8],
]

t.test('exit status: the program\'s, 128+N, -e, 127, 126', async (t) => {
  for (const [name, args, code] of EXIT_CASES) {
    const r = await tiniTs(args)
    t.equal(r.exitCode, code, `${name}: exit ${code}`)
  }
})

t.test('oracle: Debian tini gives the same exit statuses', { skip: !haveBinary('tini') && 'tini not installed (apt-get install tini)' }, async (t) => {
  for (const [name, args, code] of EXIT_CASES) {
    const [a, b] = await Promise.all([tiniTs(args), oracle(args)])
    t.equal(b.exitCode, code, `tini, ${name}: ${code} (oracle sanity)`)
    t.equal(a.exitCode, b.exitCode, `tini-ts matches tini: ${name}`)
  }
})

t.test('options stop at the first non-option: `tini-ts sh -c \'exit 3\'` runs sh', async (t) => {
  t.equal((await tiniTs(['sh', '-c', 'exit 3'])).exitCode, 3)
  t.equal((await tiniTs(['-e', '3', 'sh', '-c', 'exit 3'])).exitCode, 0)
  const r = await tiniTs(['sh', '-c', 'echo "$@"', 'x', '-v', '-e', '3', '--', '-s'])
  t.equal(r.stdout, '-v -e 3 -- -s', 'the program\'s arguments are all its own')
})

t.test('not found / not executable: stderr names the program', async (t) => {
  const nf = await tiniTs(['no-such-program-tini-ts'])
  t.equal(nf.exitCode, 127)
  t.match(nf.stderr, /no-such-program-tini-ts/)
  t.match(nf.stderr, /No such file or directory/)
  t.equal(nf.stdout, '')
  const ne = await tiniTs([NOEXEC])
  t.equal(ne.exitCode, 126)
  t.match(ne.stderr, NOEXEC)
  t.match(ne.stderr, /Permission denied/)
  // The same message at the quietest verbosity: it is fatal.
  const quiet = await tiniTs(['no-such-program-tini-ts'], { TINI_VERBOSITY: '0' })
  t.equal(quiet.exitCode, 127)
  t.match(quiet.stderr, /no-such-program-tini-ts/)
})

const USAGE_CASES: [string, string[], RegExp][] = [
  ['unknown option', ['-x', '--'], /unknown option/i],
  ['-e 256', ['-e', '256', '--'], /256/],
  ['-e abc', ['-e', 'abc', '--'], /abc/],
  ['-e -1', ['-e', '-1', '--'], /-1|EXIT_CODE/],
  ['-p SIGNOPE', ['-p', 'SIGNOPE', '--'], /SIGNOPE/],
]

t.test('bad usage: message and usage on stderr, non-zero, nothing started', async (t) => {
  for (const [name, pre, re] of USAGE_CASES) {
    const mark = join(TMP, `started-${name.replace(/\W+/g, '_')}`)
    const r = await tiniTs([...pre, 'sh', '-c', `touch ${mark}`])
    t.not(r.exitCode, 0, `${name}: non-zero`)
    t.match(r.stderr, re, `${name}: names the problem`)
    t.match(r.stderr, /Usage: tini-ts/, `${name}: usage on stderr`)
    t.equal(r.stdout, '', `${name}: nothing on stdout`)
    t.notOk(existsSync(mark), `${name}: the program was not started`)
    // control: the same command line without the bad option does start it
  }
  const control = join(TMP, 'started-control')
  t.equal((await tiniTs(['--', 'sh', '-c', `touch ${control}`])).exitCode, 0)
  t.ok(existsSync(control), 'control: a good command line starts the program')
  const none = await tiniTs([])
  t.not(none.exitCode, 0, 'no program: non-zero')
  t.match(none.stderr, /no program/i)
  t.match(none.stderr, /Usage: tini-ts/)
})

t.test('oracle: tini also refuses these usages with exit 1', { skip: !haveBinary('tini') && 'tini not installed' }, async (t) => {
  for (const [name, pre] of USAGE_CASES) {
    const args = [...pre, 'true']
    const [a, b] = await Promise.all([tiniTs(args), oracle(args)])
    t.equal(b.exitCode, 1, `tini: ${name} exits 1`)
    t.equal(a.exitCode, b.exitCode, `tini-ts matches: ${name}`)
  }
  const [a, b] = await Promise.all([tiniTs([]), oracle([])])
  t.equal(a.exitCode, b.exitCode, 'no program: same exit')
})

t.test('-h, -l, --version: stdout, exit 0, like tini', async (t) => {
  const h = await tiniTs(['-h'])
  t.equal(h.exitCode, 0)
  t.match(h.stdout, /Usage: tini-ts/)
  for (const f of ['-s', '-p', '-v', '-w', '-g', '-e', '-l', '--version']) t.match(h.stdout, f, `help mentions ${f}`)
  const l = await tiniTs(['-l'])
  t.equal(l.exitCode, 0)
  t.match(l.stdout, /MIT License/)
  const v = await tiniTs(['--version'])
  t.equal(v.exitCode, 0)
  t.match(v.stdout, /tini-ts version \d+\.\d+\.\d+/)
  if (haveBinary('tini')) {
    for (const f of ['-h', '-l', '--version']) {
      const o = await oracle([f])
      t.equal(o.exitCode, 0, `tini ${f}: 0 too`)
    }
  }
})

t.test('a program that exits at once never leaves the init hanging (regression: fork/reap race)', async (t) => {
  // Before the fix, the SIGCHLD handler could reap the program before the
  // addon knew its pid, and tini-ts waited forever (about 1 run in 25 under
  // parallel load). 160 runs, 8 at a time; each must end on its own.
  const codes: (number | undefined)[] = []
  const worker = async () => {
    for (let i = 0; i < 20; i++) {
      const [file, ...pre] = tiniArgv(['-s', '--', 'true'])
      const r = await execa(file, pre, { reject: false, timeout: 20_000, stdin: 'ignore' })
      codes.push(r.exitCode)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  t.equal(codes.length, 160)
  t.same(codes.filter((c) => c !== 0), [], 'every run exited 0 by itself')
})
