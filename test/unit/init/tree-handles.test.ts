// tree-handles.ts over a fake kernel: one pass of find() and how a member is
// signalled, with pidfds, without them (ENOSYS), and with none to spare
// (EMFILE).
import t from 'tap'
import { TreeHandles } from '../../../src/init/tree-handles'
import { FakeKernel, SIGTERM } from '../../helpers/fake-kernel'

const ROOT = 100
const PROG = 200

t.test('a member keeps its pidfd (and key) across passes; a pidfd whose process is reaped is closed', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG })
  k.add({ pid: 201, ppid: PROG, pgrp: PROG })
  const tree = new TreeHandles(ROOT, PROG, k.ops())
  const a = tree.find()
  t.same(a.map((m) => m.pid).sort(), [PROG, 201])
  t.ok(a.every((m) => m.fd >= 0), 'each with a pidfd')
  t.equal(k.openFds, 2)
  const b = tree.find()
  t.same(b.map((m) => m.key).sort(), a.map((m) => m.key).sort(), 'the same keys on the next pass')
  t.equal(k.openFds, 2, 'no second pidfd for the same process')
  k.reap(201)
  k.add({ pid: 201, ppid: PROG, pgrp: PROG }) // the number again, a new process (a child of ours)
  const c = tree.find()
  t.notOk(c.some((m) => m.pid === 201), 'not on the pass that finds its old pidfd stale')
  const d = tree.find()
  const again = d.find((m) => m.pid === 201)
  t.ok(again && !a.some((m) => m.key === again.key), 'found afresh on the next, under a new key')
  tree.close()
  t.equal(k.openFds, 0)
})

t.test('EMFILE: a child of ours without a pidfd is still signalled (killChild); a deeper one waits; it proves no one else ours', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, pgrp: PROG, tag: 'prog' })
  k.add({ pid: 201, ppid: PROG, pgrp: 201, tag: 'grandchild' })
  const ops = k.ops()
  const tree = new TreeHandles(ROOT, PROG, { ...ops, pidfdOpen: () => -24 })
  const found = tree.find()
  t.same(found.map((m) => [m.pid, m.fd]), [[PROG, -1]], 'only the child, without a pidfd; its child is not taken on its word')
  t.equal(tree.signal(found[0], SIGTERM), 0)
  t.same(k.delivered.map((d) => [d.pid, d.via]), [[PROG, 'group']], 'through killChild, as the group it leads')
  t.ok(tree.usesPidfds, 'EMFILE is not taken for a kernel without pidfds')
  const deep = { ...found[0], pid: 201, ppid: PROG, key: 'x' }
  t.equal(tree.signal(deep, SIGTERM), 3, 'a deeper member without a pidfd: ESRCH, not a kill by number')
})

t.test('ENOSYS: the fallback for good; members found by the same rules, signalled only as our children', async (t) => {
  const k = new FakeKernel(ROOT)
  k.pidfds = false
  k.add({ pid: PROG, pgrp: PROG, tag: 'prog' })
  k.add({ pid: 201, ppid: PROG, pgrp: 201, tag: 'grandchild' })
  k.add({ pid: 202, ppid: ROOT, pgrp: PROG, tag: 'in-group' })
  const tree = new TreeHandles(ROOT, PROG, k.ops())
  const found = tree.find()
  t.equal(tree.usesPidfds, false)
  t.same(found.map((m) => m.pid).sort(), [PROG, 201, 202])
  for (const m of found) tree.signal(m, SIGTERM)
  t.same(k.signalsTo('grandchild'), [], 'the grandchild is not signalled by number')
  t.same(k.signalsTo('prog'), [SIGTERM])
  t.same(k.signalsTo('in-group'), [SIGTERM], 'a child not leading a group: killChild on it alone')
})
