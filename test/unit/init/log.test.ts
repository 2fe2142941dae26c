// The log line writer (src/init/log.ts) over a fake addon whose queue can be full:
// lines that do not fit are counted, and the next line that fits is preceded
// by one note saying how many were dropped.
import t from 'tap'
import { Logger, StderrWriter } from '../../../src/init/log'
import { Errno } from '../../../src/runtime/native'
import { FakeBinding } from '../../helpers/fake-binding'

t.test('lines dropped under back-pressure are counted and noted once room returns', async (t) => {
  const native = new FakeBinding()
  const w = new StderrWriter(native)
  t.ok(native.calls.includes('logStart'), 'the writer thread is started at construction')
  w.write('one\n')
  native.logAccepts = false
  w.write('two\n')
  w.write('three\n')
  t.same(native.logged, ['one\n'], 'nothing written while the queue is full')
  native.logAccepts = true
  w.write('four\n')
  t.equal(native.logged.length, 3)
  t.match(native.logged[1], /^\[WARN {2}tini-ts \(\d+\)\] 2 log line\(s\) dropped: stderr was not keeping up\n$/)
  t.equal(native.logged[2], 'four\n')
  w.write('five\n')
  t.equal(native.logged[3], 'five\n', 'the note comes once')
})

t.test('in a JSON log the note is a JSON line too', async (t) => {
  const native = new FakeBinding()
  const w = new StderrWriter(native, 2, 'json')
  native.logAccepts = false
  w.write('{"a":1}\n')
  w.write('{"a":2}\n')
  native.logAccepts = true
  w.write('{"a":3}\n')
  t.equal(native.logged.length, 2)
  t.match(native.logged[0], /\n$/, 'one line')
  const note = JSON.parse(native.logged[0] as string)
  t.match(note, { level: 'warn', initPid: process.pid, event: 'dropped', dropped: 2, msg: '2 log line(s) dropped: stderr was not keeping up' })
  t.type(note.time, 'number')
  t.equal(native.logged[1], '{"a":3}\n')
})

t.test('a note that does not fit counts the line it preceded too', async (t) => {
  const native = new FakeBinding()
  const w = new StderrWriter(native)
  native.logAccepts = false
  w.write('a\n')
  w.write('b\n') // its note does not fit either
  native.logAccepts = true
  w.write('c\n')
  t.match(native.logged[0], /\] 2 log line\(s\) dropped/)
  t.same(native.logged.slice(1), ['c\n'])
})

t.test('no writer thread: one line saying why', async (t) => {
  const eagain = new FakeBinding()
  eagain.logStart = () => Errno.EAGAIN
  t.throws(() => new StderrWriter(eagain), /cannot start the log writer thread: no thread can be created \(EAGAIN/)
  const other = new FakeBinding()
  other.logStart = () => 12
  t.throws(() => new StderrWriter(other), /cannot start the log writer thread: errno 12/)
})

t.test('Logger over the writer: text lines by verbosity, control characters escaped; JSON through pino', async (t) => {
  const native = new FakeBinding()
  const text = new Logger(2, 'text', new StderrWriter(native))
  text.debug('x', 'not at -v')
  text.info('x', 'line\nforged')
  text.warn('reaper-check', 'verbatim\nevent')
  t.equal(native.logged.length, 2)
  t.match(native.logged[0], /^\[INFO {2}tini-ts \(\d+\)\] line\\nforged\n$/)
  t.match(native.logged[1], /\] verbatim\nevent\n$/)
  const json = new FakeBinding()
  const jl = new Logger(3, 'json', new StderrWriter(json))
  jl.debug('reaped', 'Reaped', { pid: 5 })
  const doc = JSON.parse(json.logged.join(''))
  t.match(doc, { level: 'debug', event: 'reaped', pid: 5, msg: 'Reaped' })
})
