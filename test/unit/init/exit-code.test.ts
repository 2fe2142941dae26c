// wait(2) status -> the init's exit code, and -e remapping.
import t from 'tap'
import { decodeWaitStatus, exitCodeFor } from '../../../src/init/exit-code'

// Wait statuses as the kernel encodes them (W_EXITCODE, W_TERMSIG).
const exited = (code: number) => (code & 0xff) << 8
const killed = (sig: number, core = false) => sig | (core ? 0x80 : 0)

t.test('decodeWaitStatus', async (t) => {
  t.same(decodeWaitStatus(exited(0)), { code: 0 })
  t.same(decodeWaitStatus(exited(3)), { code: 3 })
  t.same(decodeWaitStatus(exited(255)), { code: 255 })
  t.same(decodeWaitStatus(killed(15)), { signal: 15 })
  t.same(decodeWaitStatus(killed(9)), { signal: 9 })
  t.same(decodeWaitStatus(killed(11, true)), { signal: 11 }, 'core dump bit is not part of the signal')
  t.same(decodeWaitStatus(killed(64)), { signal: 64 }, 'real-time signal')
})

t.test('exitCodeFor: the program\'s code, or 128+N for signal N', async (t) => {
  t.equal(exitCodeFor({ code: 0 }), 0)
  t.equal(exitCodeFor({ code: 3 }), 3)
  t.equal(exitCodeFor({ code: 255 }), 255)
  t.equal(exitCodeFor({ signal: 2 }), 130)
  t.equal(exitCodeFor({ signal: 15 }), 143)
  t.equal(exitCodeFor({ signal: 9 }), 137)
  t.equal(exitCodeFor(decodeWaitStatus(killed(11, true))), 139)
})

t.test('exitCodeFor: -e remaps to 0, and only what is listed', async (t) => {
  const remap = new Set([3, 143])
  t.equal(exitCodeFor({ code: 3 }, remap), 0)
  t.equal(exitCodeFor({ code: 4 }, remap), 4)
  t.equal(exitCodeFor({ signal: 15 }, remap), 0, '-e 143 remaps death by SIGTERM')
  t.equal(exitCodeFor({ signal: 9 }, remap), 137)
  t.equal(exitCodeFor({ code: 0 }, new Set([0])), 0)
})
