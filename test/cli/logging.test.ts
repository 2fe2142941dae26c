// Black-box: what tini-ts says on stderr (tini logs INFO/DEBUG to stdout;
// tini-ts logs everything to stderr: an intended difference).
import t from 'tap'
import { execa } from 'execa'
import { haveBinary, tiniArgv } from '../helpers/tini'

function tini(args: string[], env: Record<string, string | undefined> = {}) {
  const [file, ...pre] = tiniArgv(args)
  const e: Record<string, string | undefined> = { ...process.env, TINI_SUBREAPER: undefined, TINI_VERBOSITY: undefined, ...env }
  return execa(file, pre, { reject: false, timeout: 60_000, env: e as any, extendEnv: false, stdin: 'ignore' })
}

const WARNING = /not running as PID 1 and isn't registered as a child subreaper[\s\S]*-s option[\s\S]*TINI_SUBREAPER/

t.test('neither PID 1 nor subreaper: a warning on stderr at default verbosity, saying how to fix it', async (t) => {
  const r = await tini(['--', 'true'])
  t.equal(r.exitCode, 0)
  t.match(r.stderr, WARNING)
  t.equal(r.stdout, '')
  if (haveBinary('tini')) {
    const o = await execa('tini', ['--', 'true'], { reject: false, env: { TINI_SUBREAPER: undefined } as any })
    t.match(o.stderr, /isn't registered as a child subreaper/, 'tini warns the same way (oracle)')
  }
})

t.test('no warning with -s, TINI_SUBREAPER, or TINI_VERBOSITY=0', async (t) => {
  for (const [name, args, env] of [
    ['-s', ['-s', '--', 'true'], {}],
    ['TINI_SUBREAPER', ['--', 'true'], { TINI_SUBREAPER: '' }],
    ['TINI_VERBOSITY=0', ['--', 'true'], { TINI_VERBOSITY: '0' }],
  ] as [string, string[], Record<string, string>][]) {
    const r = await tini(args, env)
    t.equal(r.exitCode, 0)
    t.equal(r.stderr, '', `${name}: stderr empty`)
  }
})

t.test('-v: info on stderr, stdout untouched; -vvv: forwarded signals at debug', async (t) => {
  const r = await tini(['-v', '-s', '--', 'sh', '-c', 'echo out; exit 4'])
  t.equal(r.exitCode, 4)
  t.equal(r.stdout, 'out', 'stdout is the program\'s alone')
  t.match(r.stderr, /Spawned child process 'sh'/)
  t.match(r.stderr, /exited normally \(with status '4'\)/)
  const d = await tini(['-vvv', '-s', '--', 'sh', '-c', 'kill -USR1 $PPID; sleep 0.5'])
  t.match(d.stderr, /Passed signal 'SIGUSR1'/)
})

t.test('-w: each reaped orphan logged as a warning', async (t) => {
  const r = await tini(['-w', '-s', '--', 'sh', '-c', '(sleep 0.1 &); (sleep 0.1 &); sleep 1'])
  t.equal(r.exitCode, 0)
  t.equal((r.stderr.match(/Reaped zombie process with pid=\d+/g) ?? []).length, 2, 'two orphans, two lines')
  const quiet = await tini(['-s', '--', 'sh', '-c', '(sleep 0.1 &); sleep 1'])
  t.notMatch(quiet.stderr, /Reaped zombie/, 'control: not logged without -w')
})
