// --demo, the README's first command, runs to completion in PID
// namespaces: a non-zero count without an init, zero with tini-ts.
import t from 'tap'
import { execa } from 'execa'
import { publicTiniArgv, tiniArgv } from '../helpers/tini'

t.test('--demo shows zombies without an init and none with tini-ts', async (t) => {
  const [file, ...rest] = tiniArgv(['--demo'])
  const r = await execa(file, rest, { reject: false, timeout: 60_000 })
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stdout, /Mode: private PID namespaces/)
  const without = /without an init: (\d+) zombies/.exec(r.stdout)
  const withInit = /with tini-ts:\s+(\d+) zombies/.exec(r.stdout)
  t.ok(without && Number(without[1]) > 0, `without: ${without?.[1]}`)
  t.equal(withInit && Number(withInit[1]), 0)
})

t.test('--demo as a non-root user falls back to subreaper mode and says so', async (t) => {
  const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...publicTiniArgv(['--demo'])], {
    reject: false,
    timeout: 60_000,
    env: { NODE_OPTIONS: '' }, // tap's loader hooks write into .tap/, which nobody cannot
  })
  t.equal(r.exitCode, 0, r.stderr)
  t.match(r.stdout, /Mode: subreaper/)
  t.ok(Number(/without an init: (\d+)/.exec(r.stdout)?.[1]) > 0)
  t.equal(Number(/with tini-ts:\s+(\d+)/.exec(r.stdout)?.[1]), 0)
})
