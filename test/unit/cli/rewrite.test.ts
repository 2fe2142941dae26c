// --rewrite FROM:TO: the parser and the forwarding map it builds.
import t from 'tap'
import { forwardingMap, parseRewrite } from '../../../src/cli/rewrite'

t.test('parseRewrite', async (t) => {
  t.same(parseRewrite('15:3'), [15, 3])
  t.same(parseRewrite('TERM:QUIT'), [15, 3])
  t.same(parseRewrite('SIGTERM:0'), [15, 0], '0 drops')
  t.same(parseRewrite('SIGRTMIN+1:SIGUSR1'), [35, 10])
  t.throws(() => parseRewrite('15'), /FROM:TO/)
  t.throws(() => parseRewrite('NOPE:1'), /not a signal/)
  t.throws(() => parseRewrite('15:NOPE'), /not a signal/)
  t.throws(() => parseRewrite('SIGCHLD:15'), /not forwarded/)
  t.throws(() => parseRewrite('SIGKILL:15'), /not forwarded/)
})

t.test('forwardingMap', async (t) => {
  const plain = forwardingMap(new Map())
  t.equal(plain.length, 65)
  t.equal(plain[15], 15)
  t.equal(plain[64], 64)
  t.equal(plain[17], 0, 'SIGCHLD: not forwarded')
  t.equal(plain[9], 0)
  const rw = forwardingMap(new Map([[15, 3], [10, 0]]))
  t.equal(rw[15], 3)
  t.equal(rw[10], 0)
  t.equal(rw[2], 2)
})
