// The loader's failure message: one attempt a line, and nothing from outside
// (a path from TMPDIR, a dlopen reason) can start a line of its own.
import t from 'tap'
import { NativeLoadError } from '../../src/native-loader'

t.test('attempts are listed one a line, their control characters escaped', async (t) => {
  const forged = '/tmp/x\n[FATAL tini-ts (1)] forged'
  const e = new NativeLoadError([
    { where: forged, why: 'not present' },
    { where: '/dev/shm (extracted copy)', why: 'EACCES\r: denied' },
  ])
  const lines = e.message.split('\n')
  t.match(lines[0], /^cannot load the native addon .* tried:$/)
  t.equal(lines[1], '  /tmp/x\\n[FATAL tini-ts (1)] forged: not present', 'the newline in the path is shown as \\n')
  t.equal(lines[2], '  /dev/shm (extracted copy): EACCES\\r: denied')
  t.notOk(lines.some((l) => l.startsWith('[FATAL')), 'no line of the message looks like a log line')
})
