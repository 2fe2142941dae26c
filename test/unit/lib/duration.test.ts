// The --timeout/--grace DURATION parser and its formatter.
import t from 'tap'
import { formatDuration, parseDuration } from '../../../src/lib/duration'

t.test('parseDuration', async (t) => {
  t.equal(parseDuration('500ms'), 500)
  t.equal(parseDuration('1.5s'), 1500)
  t.equal(parseDuration('2m'), 120_000)
  t.equal(parseDuration('3'), 3000, 'bare number: seconds')
  t.equal(parseDuration('.5'), 500)
  t.equal(parseDuration('0'), 0)
  for (const bad of ['', 'abc', '-1', '1h', '1 s', '1.s', 's', '1e3']) t.equal(parseDuration(bad), undefined, JSON.stringify(bad))
  t.equal(formatDuration(2000), '2s')
  t.equal(formatDuration(1500), '1500ms')
})
