// setLongTimeout: a delay beyond what Node's setTimeout takes (2^31-1 ms,
// ~24.8 days) waits its whole length, in steps, and fires once.
import t from 'tap'
import { mock } from 'node:test'
import { setLongTimeout } from '../../../src/init/long-timer'

const DAY_MS = 24 * 3600 * 1000
const MAX_STEP_MS = 2 ** 31 - 1

t.test('30 days: no overflow, no firing (--timeout 30d); control: a plain setTimeout of 30 days overflows and fires at once', async (t) => {
  const warnings: string[] = []
  const onWarning = (w: Error): void => {
    warnings.push(w.name)
  }
  process.on('warning', onWarning)
  t.teardown(() => {
    process.off('warning', onWarning)
  })
  let fired = false
  const timer = setLongTimeout(() => (fired = true), 30 * DAY_MS)
  t.teardown(() => timer.clear())
  // Node warns on the next tick of the setTimeout that overflows.
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings, [], 'no TimeoutOverflowWarning for the long timer')
  // Node sets a delay it cannot take to 1 ms, with a warning: this one fires at once.
  await new Promise((resolve) => setTimeout(resolve, 30 * DAY_MS))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings, ['TimeoutOverflowWarning'], 'control: the plain timer overflowed')
  t.equal(fired, false, 'the long timer has not fired')
})

t.test('a delay longer than one step is chained, and fires once at the end (on a fake clock)', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  try {
    let fired = 0
    setLongTimeout(() => fired++, MAX_STEP_MS + 1000)
    mock.timers.tick(MAX_STEP_MS)
    t.equal(fired, 0, 'after the first step: 1 s left, not fired')
    mock.timers.tick(999)
    t.equal(fired, 0, '1 ms left: not fired')
    mock.timers.tick(1)
    t.equal(fired, 1, 'at the deadline: fired')
    mock.timers.tick(10 * MAX_STEP_MS)
    t.equal(fired, 1, 'once')
  } finally {
    mock.timers.reset()
  }
})

t.test('a short delay fires; a cleared timer does not (control: its twin does)', async (t) => {
  let cleared = false
  setLongTimeout(() => (cleared = true), 5).clear()
  await new Promise<void>((resolve) => setLongTimeout(resolve, 5))
  await new Promise<void>((resolve) => setLongTimeout(resolve, 0))
  t.equal(cleared, false, 'the cleared one did not fire')
})

t.test('clear() after a step stops the step that runs now (on a fake clock)', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  try {
    let fired = 0
    const timer = setLongTimeout(() => fired++, MAX_STEP_MS + 1000)
    mock.timers.tick(MAX_STEP_MS)
    timer.clear()
    mock.timers.tick(2000)
    t.equal(fired, 0, 'cleared in its second step: never fires')
    setLongTimeout(() => fired++, MAX_STEP_MS + 1000)
    mock.timers.tick(MAX_STEP_MS + 1000)
    t.equal(fired, 1, 'control: the same timer, not cleared, fires')
  } finally {
    mock.timers.reset()
  }
})

t.test('a negative delay fires at once, as setTimeout does', async (t) => {
  const fired = await new Promise<boolean>((resolve) => setLongTimeout(() => resolve(true), -5))
  t.equal(fired, true)
})
