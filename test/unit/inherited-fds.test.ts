import t from 'tap'
import { inheritedFds, type FdEntry } from '../../src/inherited-fds'

const e = (fd: number, target: string, cloexec = true): FdEntry => ({ fd, target, cloexec })

t.test('passes inherited files and sockets, never the runtime descriptors', async (t) => {
  const table = [
    e(0, '/dev/null'),
    e(1, 'pipe:[10]'),
    e(2, '/dev/pts/0'),
    e(3, 'socket:[77]'), // socket activation: one end only
    e(4, 'anon_inode:[eventpoll]'),
    e(5, 'anon_inode:[io_uring]'),
    e(6, 'pipe:[20]'), // the runtime's self-pipe: both ends here
    e(7, '/var/log/app.log'),
    e(8, 'pipe:[20]'),
    e(9, 'anon_inode:[eventfd]'),
    e(10, '/dev/null'), // libuv's reserve descriptor
    e(11, 'pipe:[30]'), // one end of a pipe handed to us
    e(20, '/srv/data', false), // not close-on-exec: passes through exec anyway
  ]
  t.same(inheritedFds(table), [3, 7, 11])
})

t.test("the addon's fdTable rows map to entries", async (t) => {
  const { fdEntries } = await import('../../src/inherited-fds')
  t.same(fdEntries([[3, 'socket:[1]', true], [4, 'anon_inode:[eventfd]', true]]), [
    { fd: 3, target: 'socket:[1]', cloexec: true },
    { fd: 4, target: 'anon_inode:[eventfd]', cloexec: true },
  ])
})
