// Signal tables: names, numbers, and which signals are forwarded.
import t from 'tap'
import { constants } from 'node:os'
import { DEFAULT_RT, forwardedSignals, parseSignal, signalName } from '../../../src/init/signals'

const S = constants.signals

t.test('forwarded: every standard signal but SIGCHLD, KILL, STOP, the faults; then RT', async (t) => {
  const fwd = forwardedSignals(DEFAULT_RT)
  for (const n of ['SIGCHLD', 'SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGSYS', 'SIGABRT'] as const) {
    t.notOk(fwd.includes(S[n]), `${n} is not forwarded`)
  }
  for (const n of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCONT', 'SIGTSTP', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR'] as const) {
    t.ok(fwd.includes(S[n]), `${n} is forwarded`)
  }
  for (let s = 34; s <= 64; s++) t.ok(fwd.includes(s), `RT signal ${s} is forwarded`)
  t.notOk(fwd.includes(32) || fwd.includes(33), "glibc's internal 32/33 are not")
  t.equal(new Set(fwd).size, fwd.length, 'no duplicates')
  // tini ignores SIGTTIN/SIGTTOU rather than forwarding them
  t.notOk(fwd.includes(S.SIGTTIN) || fwd.includes(S.SIGTTOU), 'SIGTTIN/SIGTTOU are ignored by the init, not forwarded')
  // 31 standard - 12 not forwarded (the 10 above, SIGTTIN, SIGTTOU) + 31 RT
  t.equal(fwd.length, 31 - 12 + 31)
})

t.test("the written-out table of standard signals is Node's own: every name, every number", async (t) => {
  const node = Object.entries(S).filter(([, n]) => n >= 1 && n <= 31)
  for (const [name, n] of node) t.equal(parseSignal(name), n, `${name} is ${n}`)
  for (let n = 1; n <= 31; n++) {
    const names = node.filter(([, v]) => v === n).map(([name]) => name)
    t.ok(names.includes(signalName(n)), `${n} is named ${signalName(n)}, one of Node's names for it (${names.join(', ')})`)
  }
})

t.test('forwardedSignals follows the RT range it is given', async (t) => {
  const fwd = forwardedSignals({ min: 35, max: 64 })
  t.notOk(fwd.includes(34))
  t.ok(fwd.includes(35) && fwd.includes(64))
})

t.test('parseSignal', async (t) => {
  t.equal(parseSignal('SIGTERM'), 15)
  t.equal(parseSignal('TERM'), 15)
  t.equal(parseSignal('sigkill'), 9)
  t.equal(parseSignal('SIGUSR1'), 10)
  t.equal(parseSignal('15'), 15)
  t.equal(parseSignal('SIGRTMIN'), 34)
  t.equal(parseSignal('SIGRTMIN+3'), 37)
  t.equal(parseSignal('RTMAX'), 64)
  t.equal(parseSignal('SIGRTMAX-1'), 63)
  t.equal(parseSignal('SIGRTMIN+30'), 64)
  for (const bad of ['SIGNOPE', '', 'SIG', '0', '32', '33', '65', '-1', 'SIGRTMIN+31', 'SIGRTMAX+1', 'SIGRTMIN-1', 'SIGRTMAX-31', '1.5', 'SIGTERMX']) {
    t.equal(parseSignal(bad), undefined, `${JSON.stringify(bad)} is not a signal`)
  }
})

t.test('signalName', async (t) => {
  t.equal(signalName(15), 'SIGTERM')
  t.equal(signalName(17), 'SIGCHLD')
  t.equal(signalName(6), 'SIGABRT')
  t.equal(signalName(29), 'SIGIO')
  t.equal(signalName(34), 'SIGRTMIN')
  t.equal(signalName(35), 'SIGRTMIN+1')
  t.equal(signalName(63), 'SIGRTMAX-1')
  t.equal(signalName(64), 'SIGRTMAX')
  t.equal(signalName(32), 'signal 32')
})

t.test('names and numbers round-trip for every forwarded signal', async (t) => {
  for (const s of forwardedSignals()) t.equal(parseSignal(signalName(s)), s, signalName(s))
})
