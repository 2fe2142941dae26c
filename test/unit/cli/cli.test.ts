// CLI parsing: tini's flags and TINI_* variables -> Config, and usage errors.
import t from 'tap'
import { cleansUpOnExit, parseCli, terminatesTree, type Config } from '../../../src/cli/cli'

function run(args: string[], env: NodeJS.ProcessEnv = {}): Config {
  const r = parseCli(args, env)
  if (r.kind !== 'run') throw new Error(`expected a run, got print: ${r.stderr ?? r.stdout}`)
  return r.config
}

function printed(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = parseCli(args, env)
  if (r.kind !== 'print') throw new Error(`expected print, got run of ${r.config.program.join(' ')}`)
  return r
}

t.test('options stop at the first word that is not an option', async (t) => {
  t.same(run(['sh', '-c', 'exit 3']).program, ['sh', '-c', 'exit 3'])
  // The program's own options are never taken for ours.
  t.same(run(['-s', 'ls', '-l', '-v', '-e', '3']).program, ['ls', '-l', '-v', '-e', '3'])
  const c = run(['-s', 'ls', '-v'])
  t.equal(c.verbosity, 1, '-v after PROGRAM is the program\'s')
  t.same(run(['--', '-weird-name', '-x']).program, ['-weird-name', '-x'])
  t.same(run(['-v', '--', 'sh', '--', 'x']).program, ['sh', '--', 'x'])
  t.same(run(['--', '--version']).program, ['--version'], '-- ends options: --version is a program')
})

t.test('defaults', async (t) => {
  const c = run(['true'])
  t.equal(c.mode, 'run')
  t.equal(c.subreaper, false)
  t.equal(c.verbosity, 1, 'warnings by default, as tini')
  t.equal(c.warnOnReap, false)
  t.equal(c.killProcessGroup, false)
  t.equal(c.remapToZero.size, 0)
  t.equal(c.parentDeathSignal, undefined)
})

t.test('flags', async (t) => {
  t.equal(run(['-s', 'true']).subreaper, true)
  t.equal(run(['-w', 'true']).warnOnReap, true)
  t.equal(run(['-g', 'true']).killProcessGroup, true)
  t.equal(run(['-v', 'true']).verbosity, 2)
  t.equal(run(['-v', '-v', 'true']).verbosity, 3)
  t.equal(run(['-vvv', 'true']).verbosity, 4, 'combined short flags count')
  t.equal(run(['-sgwv', 'true']).verbosity, 2)
  const c = run(['-sgw', 'true'])
  t.ok(c.subreaper && c.killProcessGroup && c.warnOnReap, 'combined -sgw')
  t.equal(run(['-p', 'SIGKILL', 'true']).parentDeathSignal, 9)
  t.equal(run(['-p', 'SIGTERM', 'true']).parentDeathSignal, 15)
  t.equal(run(['-pSIGUSR1', 'true']).parentDeathSignal, 10, 'value attached to the flag')
})

t.test('-e is repeatable and collects exit codes', async (t) => {
  t.same([...run(['-e', '3', '-e', '143', '-e', '0', '-e', '255', 'true']).remapToZero].sort((a, b) => a - b), [0, 3, 143, 255])
  t.same([...run(['-e7', 'true']).remapToZero], [7])
})

t.test('environment variables', async (t) => {
  t.equal(run(['true'], { TINI_SUBREAPER: '' }).subreaper, true, 'set, even empty, is enough (tini)')
  t.equal(run(['true'], { TINI_KILL_PROCESS_GROUP: '1' }).killProcessGroup, true)
  t.equal(run(['true'], { TINI_VERBOSITY: '3' }).verbosity, 3)
  t.equal(run(['-vvv', 'true'], { TINI_VERBOSITY: '0' }).verbosity, 0, 'TINI_VERBOSITY wins over -v (tini reads it after the flags)')
  t.equal(run(['true'], { TINI_VERBOSITY: 'abc' }).verbosity, 0, 'atoi semantics')
  t.equal(run(['true'], { OTHER: '1' }).subreaper, false)
})

t.test('cleanup after the program: default for a subreaper that is not PID 1', async (t) => {
  const as = (args: string[], env: NodeJS.ProcessEnv, pid1: boolean) => cleansUpOnExit(run([...args, 'true'], env), pid1)
  t.equal(as(['-s'], {}, false), true, '-s, not PID 1: a probe wrapper cleans up')
  t.equal(as([], { TINI_SUBREAPER: '' }, false), true, 'TINI_SUBREAPER too')
  t.equal(as(['-s'], {}, true), false, 'as PID 1 nothing changes')
  t.equal(as([], {}, false), false, 'not a subreaper: the orphans were never ours (tini behaviour)')
  t.equal(as(['-s', '--no-cleanup'], {}, false), false, '--no-cleanup keeps tini behaviour')
  t.equal(as(['-s'], { TINI_TS_NO_CLEANUP: '' }, false), false, 'so does TINI_TS_NO_CLEANUP (set is enough)')
  t.equal(as(['-s', '--cleanup'], { TINI_TS_NO_CLEANUP: '1' }, false), true, 'the flag wins over the variable')
  t.equal(as(['--cleanup'], {}, true), true, '--cleanup as PID 1 still cleans up')
  t.equal(as(['--cleanup'], {}, false), true, '--cleanup without -s')
})

t.test('--timeout and --cleanup terminate a tree, and say in --help that they make tini-ts a subreaper', async (t) => {
  t.equal(terminatesTree(run(['--timeout', '1s', 'true'])), true)
  t.equal(terminatesTree(run(['--cleanup', 'true'])), true)
  t.equal(terminatesTree(run(['--timeout', '0', 'true'])), false, '--timeout 0 is no timeout')
  t.equal(terminatesTree(run(['-s', 'true'])), false, '-s alone: a subreaper by itself, cleanup decided by cleansUpOnExit')
  t.equal(run(['--timeout', '1s', 'true']).subreaper, false, 'cfg.subreaper stays what -s says (it decides the default cleanup)')
  const help = printed(['--help']).stdout
  t.match(help, /--timeout <DURATION>\s+terminate the whole tree[^]*?makes tini-ts a subreaper, as -s/)
  t.match(help, /--cleanup\s+when PROGRAM exits[^]*?makes tini-ts a subreaper, as -s/)
})

t.test('usage errors: message and usage on stderr, non-zero, nothing to run', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['unknown option', ['-x', 'true'], /unknown option/i],
    ['unknown long option', ['--frobnicate', 'true'], /unknown option/i],
    ['-e 256', ['-e', '256', 'true'], /256/],
    ['-e -1', ['-e', '-1', 'true'], /-1|EXIT_CODE/],
    ['-e abc', ['-e', 'abc', 'true'], /abc/],
    ['-e 1.5', ['-e', '1.5', 'true'], /1\.5/],
    ['-e without value', ['-e'], /argument missing|EXIT_CODE/i],
    ['-p SIGNOPE', ['-p', 'SIGNOPE', 'true'], /SIGNOPE/],
    ['-p without value', ['-p'], /argument missing|SIGNAL/i],
    ['no program', [], /no program/i],
    ['only options', ['-s', '-v'], /no program/i],
    ['only --', ['--'], /no program/i],
    ['--cleanup with --no-cleanup', ['--cleanup', '--no-cleanup', 'true'], /contradict/],
    ['-P with --no-cleanup', ['-P', '--no-cleanup'], /pause/],
  ]
  for (const [name, args, re] of cases) {
    const r = printed(args)
    t.not(r.exitCode, 0, `${name}: non-zero exit`)
    t.match(r.stderr ?? '', re, `${name}: says what is wrong`)
    t.match(r.stderr ?? '', /Usage: tini-ts/, `${name}: shows usage`)
    t.notOk(r.stdout, `${name}: nothing on stdout`)
  }
})

t.test('-h, --version, -l print and exit 0', async (t) => {
  const h = printed(['-h'])
  t.equal(h.exitCode, 0)
  t.match(h.stdout, /Usage: tini-ts/)
  for (const flag of ['-s', '-p', '-v', '-w', '-g', '-e', '-l']) t.match(h.stdout, new RegExp(`^\\s+${flag}\\b`, 'm'), `help lists ${flag}`)
  const v = printed(['--version'])
  t.equal(v.exitCode, 0)
  t.match(v.stdout, /^tini-ts version \d+\.\d+\.\d+/)
  const l = printed(['-l'])
  t.equal(l.exitCode, 0)
  t.match(l.stdout, /MIT License/)
  t.match(printed(['-l', 'true']).stdout, /MIT License/, '-l wins over a program, as tini')
})
