// --timeout values at the edges.
// - over 2^31 ms: Node's setTimeout turns it into 1 ms (TimeoutOverflowWarning),
//   so the program was killed at once;
// - 0: coreutils timeout(1) means "no timeout"; tini-ts killed at once;
// - beyond what milliseconds can count exactly: refused at start.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tiniArgv } from '../helpers/tini'

function run(args: string[]) {
  const [file, ...rest] = tiniArgv(args)
  return execa(file, rest, { reject: false, timeout: 30_000, stdin: 'ignore' })
}

t.test('--timeout longer than 2^31 ms (25 days) does not fire at once', async (t) => {
  // 36000m = 2,160,000,000 ms > 2^31-1 = 2,147,483,647.
  const r = await run(['-s', '--timeout', '36000m', '--', 'sh', '-c', 'sleep 0.5; exit 3'])
  t.equal(r.exitCode, 3, 'the program ran to its end and its status came back')
  t.notMatch(r.stderr, /TimeoutOverflowWarning|still running after/, 'no overflow, no timeout')
  // Control: just under 2^31 behaves the same, and a short one does fire.
  const under = await run(['-s', '--timeout', '35000m', '--', 'sh', '-c', 'sleep 0.5; exit 3'])
  t.equal(under.exitCode, 3, 'control: 35000m (< 2^31 ms) lets it finish too')
  const short = await run(['-s', '--timeout', '100ms', '--', 'sh', '-c', 'sleep 5; exit 3'])
  t.equal(short.exitCode, 124, 'control: a short timeout does fire (124)')
})

t.test('--timeout 0 means no timeout, as coreutils timeout(1)', async (t) => {
  const oracle = await execa('timeout', ['0', 'sh', '-c', 'sleep 0.5; exit 3'], { reject: false })
  t.equal(oracle.exitCode, 3, 'oracle: coreutils `timeout 0` runs the command to its end')
  for (const v of ['0', '0s', '0ms', '0.0']) {
    const r = await run(['-s', '--timeout', v, '--', 'sh', '-c', 'sleep 0.5; exit 3'])
    t.equal(r.exitCode, 3, `--timeout ${v}: the program's own status`)
    t.notMatch(r.stderr, /still running after/, `--timeout ${v}: no timeout fired`)
  }
})

t.test('--timeout too large to count in milliseconds: one clear line, nothing started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-timeout-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const touched = join(dir, 'started')
  const r = await run(['-s', '--timeout', '99999999999999999999', '--', 'touch', touched])
  t.not(r.exitCode, 0, 'non-zero exit')
  t.match(r.stderr, /'99999999999999999999' is not a duration/, 'says which value is wrong')
  t.notMatch(r.stderr, /TimeoutOverflowWarning|at .*\.js:\d+/, 'no warning, no stack')
  t.notOk(existsSync(touched), 'the program was not started')
})
