// The npm route: `bin/tini-ts` on the installed Node, whatever TINI_TS_BIN
// the rest of the suite uses. Same contract, checked on its essentials.
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'
import { REPO, waitFor, children } from '../helpers/tini'

const BIN = join(REPO, 'bin', 'tini-ts')
// tap's loader hooks must not ride along into the init under test.
const env = { NODE_OPTIONS: '' }

t.test('bin/tini-ts runs the program and exits with its status', async (t) => {
  const r = await execa(process.execPath, [BIN, '-s', '--', 'sh', '-c', 'echo hi; exit 3'], { reject: false, env })
  t.equal(r.exitCode, 3)
  t.equal(r.stdout, 'hi')
  t.equal(r.stderr, '', 'no warning with -s')
})

t.test('bin/tini-ts forwards SIGTERM and reaps orphans', async (t) => {
  const p = execa(process.execPath, [BIN, '-s', '-w', '--', 'sh', '-c', '(sleep 0.05 &); trap "exit 9" TERM; while :; do sleep 0.05; done'], {
    reject: false,
    env,
    timeout: 20_000,
  })
  await waitFor('program running', () => children(p.pid as number).some((c) => c.comm === 'sh'))
  await new Promise((r) => setTimeout(r, 300))
  process.kill(p.pid as number, 'SIGTERM')
  const r = await p
  t.equal(r.exitCode, 9)
  t.match(r.stderr, /Reaped zombie process with pid=\d+ \(sleep\)/)
})
