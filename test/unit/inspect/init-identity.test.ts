// Which init a PID 1 is, from its comm and argv (and, for a node script,
// the package.json beside it).
import t from 'tap'
import * as fs from 'fs'
import * as path from 'path'
import { identifyInit } from '../../../src/inspect/init-identity'

const ROOT = path.resolve(__dirname, '..', '..', '..')

t.test('identifyInit', async (t) => {
  const cases: Array<[string | null, string[] | null, string | null]> = [
    ['tini', ['/sbin/tini', '--', 'x'], 'tini'],
    ['docker-init', ['/sbin/docker-init', '--', 'x'], 'docker-init (tini)'],
    ['dumb-init', ['/usr/bin/dumb-init', 'x'], 'dumb-init'],
    ['catatonit', ['/catatonit', '-P'], 'catatonit'],
    ['systemd', ['/sbin/init'], 'systemd'],
    ['s6-svscan', ['s6-svscan', '-t0', '/var/run/s6/services'], 's6-svscan'],
    ['runit', ['runit'], 'runit'],
    ['openrc-init', ['/sbin/openrc-init'], 'openrc-init'],
    ['pause', ['/pause'], 'pause'],
    ['tini-ts', ['tini-ts', '--', 'x'], 'tini-ts'],
    ['node', ['node', '/usr/lib/node_modules/tini-ts/bin/tini-ts', '--', 'x'], 'tini-ts'],
    ['node', ['/usr/local/bin/node', '/opt/tini-ts/lib/main.js', '--', 'x'], 'tini-ts'],
    ['node', ['node', '--enable-source-maps', '/srv/tini-ts/lib/main.js'], 'tini-ts'],
    ['python3', ['/usr/bin/python3', '-u', '/sbin/my_init'], 'my_init'],
    ['node', ['node', 'server.js'], null],
    ['sh', ['sh', '-c', 'tini is not here'], null],
    ['bash', ['-bash'], null],
    ['sleep', ['sleep', '60'], null],
    [null, null, null],
    ['java', [], null],
  ]
  for (const [comm, argv, want] of cases) t.equal(identifyInit(comm, argv), want, `${comm} ${JSON.stringify(argv)}`)
  // A relative node script is resolved against /proc/1/cwd (or our cwd) and
  // its package.json: this checkout is named tini-ts.
  const proc = t.testdir({ '1': {} })
  fs.symlinkSync(ROOT, path.join(proc, '1', 'cwd'))
  t.equal(identifyInit('node', ['node', 'lib/main.js', '--', 'x'], path.join(proc, '1')), 'tini-ts')
  t.equal(identifyInit('node', ['node', 'lib/main.js'], path.join(t.testdir({}), 'nope')), 'tini-ts', 'falls back to our cwd')
})
