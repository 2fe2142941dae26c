import t from 'tap'
import { inheritedFds, type FdFacts } from '../../../src/init/inherited-fds'

type Row = FdFacts['rows'][number]
const r = (fd: number, kind: string, id: string, o: { cloexec?: boolean; nb?: boolean; own?: string; tfds?: number[]; name?: string } = {}): Row =>
  [fd, o.cloexec ?? true, kind, o.nb ?? false, id, o.own ?? '', o.name ?? '', o.tfds ?? []]

// The runtime as Node 24 lays it out around a make jobserver on 3 and 4.
const JOBSERVER: Row[] = [
  r(0, 'chr', 'n'), r(1, 'pipe', 'out'), r(2, 'chr', 'tty'),
  r(3, 'pipe', 'job', { nb: true }), r(4, 'pipe', 'job'), // make 4.3: read end O_NONBLOCK, write end blocking
  r(5, 'anon', 'a'), r(6, 'anon', 'u1'), r(7, 'pipe', 'lock', { own: 'uv-signal-lock' }), r(8, 'pipe', 'lock', { own: 'uv-signal-lock' }),
  r(9, 'pipe', 'sig1', { nb: true }), r(10, 'pipe', 'sig1', { nb: true }), r(11, 'anon', 'a'),
  r(12, 'anon', 'a', { tfds: [14, 16] }), r(13, 'anon', 'u2'), r(14, 'pipe', 'sig2', { nb: true }), r(15, 'pipe', 'sig2', { nb: true }), r(16, 'anon', 'a'),
  r(17, 'anon', 'a', { own: 'uv-loop' }), r(18, 'anon', 'u3'), r(19, 'pipe', 'sig3', { nb: true, own: 'uv-loop' }), r(20, 'pipe', 'sig3', { nb: true, own: 'uv-loop' }),
  r(21, 'anon', 'a', { own: 'uv-loop' }),
]

t.test('a make jobserver (both ends of one pipe) passes; none of the runtime does', async (t) => {
  t.same(inheritedFds({ proc: true, fork: 0, rows: JOBSERVER }), { fds: [3, 4], notes: [] })
})

t.test('dups of stdout, files, /dev/null, sockets below the first hole pass', async (t) => {
  const rows = [...JOBSERVER.slice(0, 3), r(3, 'pipe', 'out'), r(4, 'chr', 'n'), r(22, 'socket', 's'), r(23, 'file', 'f'), ...JOBSERVER.slice(5)]
  t.same(inheritedFds({ proc: true, fork: 0, rows }).fds, [3, 4, 22, 23])
})

t.test('everything above the first hole passes, whatever its kind, with no cap', async (t) => {
  const many: Row[] = []
  for (let fd = 30; fd < 230; fd++) many.push(r(fd, fd % 2 ? 'anon' : 'pipe', 'p' + (fd >> 1)))
  const got = inheritedFds({ proc: true, fork: 0, rows: [...JOBSERVER, ...many] }).fds
  t.same(got, [3, 4, ...many.map((x) => x[0])])
})

t.test('not close-on-exec: always passed', async (t) => {
  t.same(inheritedFds({ proc: true, fork: 0, rows: [...JOBSERVER.slice(0, 3), r(3, 'anon', 'x', { cloexec: false }), ...JOBSERVER.slice(4)] }).fds, [3, 4])
})

t.test('without the fork, one blocking pipe held at both ends is taken for the lock; more are passed and said', async (t) => {
  const rows = JOBSERVER.map((x) => [...x.slice(0, 5), x[5] === 'uv-signal-lock' ? '' : x[5], ...x.slice(6)] as Row)
  const one = inheritedFds({ proc: true, fork: 11, rows })
  t.same(one.fds, [3, 4], 'the jobserver has a non-blocking read end: not a lock candidate')
  t.equal(one.notes.length, 1)
  const two = rows.map((x) => (x[4] === 'job' ? ([...x.slice(0, 3), false, ...x.slice(4)] as Row) : x))
  const r2 = inheritedFds({ proc: false, fork: 11, rows: two })
  t.same(r2.fds, [3, 4, 7, 8], 'ambiguous: passed rather than dropped')
  t.match(r2.notes.join('\n'), /2 pipes held at both ends/)
  t.match(r2.notes.join('\n'), /no \/proc/)
})

t.test('inotify and pidfd below the first hole pass; epoll, eventfd and io_uring there are the runtime\'s', async (t) => {
  const named = (row: Row, name: string): Row => [...row.slice(0, 6), name, row[7]] as Row
  const base = JOBSERVER.map((x) => (x[2] === 'anon' ? named(x, x[4] === 'a' ? 'anon_inode:[eventpoll]' : 'anon_inode:[eventfd]') : x))
  // anonymous inodes share one inode: the same id as the runtime's own loop
  const rows = [...base.slice(0, 3), r(3, 'anon', 'a', { name: 'anon_inode:inotify' }), r(4, 'anon', 'a', { name: 'anon_inode:[pidfd]' }), ...base.slice(5)]
  t.same(inheritedFds({ proc: true, fork: 0, rows }).fds, [3, 4])
  const kinds = ['anon_inode:[eventpoll]', 'anon_inode:[eventfd]', 'anon_inode:[io_uring]']
  for (const k of kinds) {
    const own = [...base.slice(0, 3), r(3, 'anon', 'x', { name: k }), ...base.slice(4)]
    t.notOk(inheritedFds({ proc: true, fork: 0, rows: own }).fds.includes(3), `${k} below the hole: the runtime's`)
  }
  // without /proc the kind is unknown: taken for the runtime's, as before
  const noProc = [...JOBSERVER.slice(0, 3), r(3, 'anon', 'i'), ...JOBSERVER.slice(4)]
  t.notOk(inheritedFds({ proc: false, fork: 0, rows: noProc }).fds.includes(3))
})
