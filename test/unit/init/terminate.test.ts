// terminate.ts over a fake kernel (test/helpers/fake-kernel.ts): members die
// (or do not) on the signals they get, pids are handed out again once
// reaped, pidfds keep naming the process they were opened on. No processes,
// no /proc.
import t from 'tap'
import { terminateTree } from '../../../src/init/terminate'
import { FakeKernel, SIGCONT, SIGKILL, SIGTERM } from '../../helpers/fake-kernel'

const ROOT = 100
const PROG = 200

t.test('SIGTERM (and SIGCONT) to every member, through pidfds; nothing more when all go', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, tag: 'prog' })
  k.add({ pid: 201, ppid: PROG, pgrp: PROG, tag: 'child' })
  const r = await terminateTree(ROOT, PROG, 1000, k.deps())
  t.same(r, { termed: 2, killed: 0, survivors: 0 })
  t.equal(k.procs.size, 1, 'only the init is left')
  t.notOk(k.delivered.some((d) => d.signal === SIGKILL), 'no SIGKILL')
  t.ok(k.delivered.filter((d) => d.signal === SIGTERM).every((d) => d.via === 'pidfd'), 'every signal through a pidfd')
  t.equal(k.openFds, 0, 'every pidfd closed at the end')
})

t.test('SIGKILL after the grace period for a member that ignores SIGTERM, not before', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, ignores: [SIGTERM], tag: 'prog' })
  k.add({ pid: 201, tag: 'other' })
  const t0 = Date.now()
  const r = await terminateTree(ROOT, PROG, 60, k.deps())
  t.same(r, { termed: 2, killed: 1, survivors: 0 })
  t.ok(Date.now() - t0 >= 55, 'the grace period was waited')
  t.same(k.signalsTo('prog'), [SIGTERM, SIGCONT, SIGKILL], 'SIGTERM once, then SIGKILL')
})

t.test('a stopped member gets SIGCONT, so it sees the SIGTERM', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, stoppedUntilCont: true, tag: 'prog' })
  const r = await terminateTree(ROOT, PROG, 500, k.deps())
  t.same(r, { termed: 1, killed: 0, survivors: 0 }, 'gone without SIGKILL')
  t.equal(k.signalsTo('prog')[0], SIGTERM)
})

t.test('a process forked during the grace period gets SIGTERM too', async (t) => {
  const k = new FakeKernel(ROOT)
  const late = { pid: 300, ppid: PROG, pgrp: 300, session: ROOT, state: 'S', comm: 'late', tag: 'late' }
  k.add({ pid: PROG, ignores: [SIGTERM], forksOnTerm: late, tag: 'prog' })
  const r = await terminateTree(ROOT, PROG, 60, k.deps())
  t.ok(k.signalsTo('late').includes(SIGTERM), 'the new fork was sent SIGTERM')
  t.same(r, { termed: 2, killed: 1, survivors: 0 })
})

t.test('zombies count as gone; processes outside the tree are left alone', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, state: 'Z', tag: 'zombie' })
  k.add({ pid: 900, ppid: 1, pgrp: 900, session: 900, tag: 'stranger' })
  const r = await terminateTree(ROOT, PROG, 500, k.deps())
  t.same(r, { termed: 0, killed: 0, survivors: 0 })
  t.same(k.delivered.filter((d) => d.signal !== 0), [])
})

t.test('members that outlive SIGKILL are counted as survivors (after the kill wait)', async (t) => {
  const k = new FakeKernel(ROOT)
  const p = k.add({ pid: PROG, ignores: [SIGTERM], tag: 'prog' })
  // SIGKILL "fails": the process is put back at once (uninterruptible, say)
  const ops = k.ops()
  const r = await terminateTree(ROOT, PROG, 20, {
    ops: { ...ops, pidfdSignal: (fd, sig) => (sig === SIGKILL ? 0 : ops.pidfdSignal(fd, sig)) },
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
  })
  t.same(r, { termed: 1, killed: 1, survivors: 1 })
  t.equal(k.procs.get(PROG), p)
})

t.test('a pid reaped and handed to a stranger during the grace period: the stranger gets nothing', async (t) => {
  // The program ignores SIGTERM and dies; its pid goes to a stranger that
  // leads its own group (another probe's program) while a member of ours is
  // still being waited for.
  const scenario = async (strangerIsOurs: boolean) => {
    const k = new FakeKernel(ROOT)
    k.add({ pid: PROG, tag: 'prog' })
    k.add({ pid: 201, ppid: PROG, pgrp: PROG, ignores: [SIGTERM], tag: 'stubborn' })
    let swapped = false
    k.afterScan = () => {
      if (swapped || k.procs.has(PROG)) return
      swapped = true
      // reaped (the SIGTERM ended it); the stubborn one went to its group of its own
      k.procs.get(201)!.pgrp = 201
      k.add({ pid: PROG, ppid: strangerIsOurs ? ROOT : 1, pgrp: PROG, session: PROG, tag: 'recycled' })
      k.add({ pid: 202, ppid: PROG, pgrp: PROG, session: PROG, tag: 'recycled-child' })
    }
    await terminateTree(ROOT, PROG, 60, k.deps())
    t.ok(swapped, 'the pid was handed out again mid-termination')
    return k
  }
  const k = await scenario(false)
  t.same(k.signalsTo('recycled'), [], 'the stranger with the recycled pid got no signal')
  t.same(k.signalsTo('recycled-child'), [], "nor its group's other member")
  t.ok(k.procs.has(PROG) && k.procs.has(202), 'both still run')
  t.same(k.signalsTo('stubborn'), [SIGTERM, SIGCONT, SIGKILL], 'our own member was still terminated')
  // control: the same pid, held by a child of ours, is reached
  const c = await scenario(true)
  t.ok(c.signalsTo('recycled').includes(SIGTERM), 'control: a child of ours at that pid gets SIGTERM')
})

t.test('a stranger that got a recycled pid and called setsid, and its child in a group of its own: neither is signalled', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: 201, ppid: ROOT, pgrp: PROG, ignores: [SIGTERM], tag: 'ours' })
  // the program is reaped already (cleanup); its pid is a stranger's session
  k.add({ pid: PROG, ppid: 1, pgrp: PROG, session: PROG, tag: 'stranger' })
  k.add({ pid: 300, ppid: PROG, pgrp: 300, session: PROG, tag: 'stranger-child' })
  // (201 still in group PROG would keep the number taken: make it leave first)
  k.procs.get(201)!.pgrp = 201
  await terminateTree(ROOT, PROG, 40, k.deps())
  t.same(k.signalsTo('stranger'), [])
  t.same(k.signalsTo('stranger-child'), [])
  t.same(k.signalsTo('ours'), [SIGTERM, SIGCONT, SIGKILL])
})

t.test('a pid that changes hands between the scan and pidfd_open is read again and left alone', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, tag: 'prog' })
  k.add({ pid: 201, ppid: PROG, pgrp: PROG, tag: 'grandchild' })
  // scan 1 only asks whether /proc is there; scan 2 is the first pass's
  k.afterScan = (n) => {
    if (n === 2) k.recycle(201, { ppid: 1, pgrp: 201, session: 201, tag: 'stranger' })
  }
  let openedOnStranger = false
  k.afterOpen = (pid) => (openedOnStranger ||= pid === 201 && k.procs.get(201)?.tag === 'stranger')
  await terminateTree(ROOT, PROG, 200, k.deps())
  t.ok(openedOnStranger, 'the pidfd was opened on the stranger (the race happened)')
  t.same(k.signalsTo('stranger'), [], 'but it got no signal: its re-read shows it is not ours')
  t.equal(k.signalsTo('prog')[0], SIGTERM)
})

t.test('a pid that changes hands between pidfd_open and the re-read: not signalled through the old pidfd', async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, ignores: [SIGTERM], tag: 'prog' })
  k.add({ pid: 201, ppid: PROG, pgrp: PROG, tag: 'old' })
  // at the first re-read of 201, the number changes hands; the new holder
  // looks like one of ours (a child of the program)
  k.beforeStat = (pid) => {
    if (pid === 201 && k.recycled === 0) k.recycle(201, { ppid: PROG, pgrp: PROG, tag: 'new' })
  }
  await terminateTree(ROOT, PROG, 60, k.deps())
  t.equal(k.recycled, 1, 'the pid changed hands')
  t.same(k.signalsTo('old'), [], 'the old one was gone before any signal')
  t.ok(k.signalsTo('new').includes(SIGTERM), 'the new one (a child of ours) is found afresh on a later pass and gets SIGTERM')
})

t.test('without pidfds (ENOSYS): only our children, checked by killChild; a grandchild once re-parented to us', async (t) => {
  const k = new FakeKernel(ROOT)
  k.pidfds = false
  k.add({ pid: PROG, tag: 'prog' })
  k.add({ pid: 201, ppid: PROG, pgrp: 201, tag: 'grandchild' }) // its own group
  k.add({ pid: 202, ppid: PROG, pgrp: PROG, tag: 'same-group' })
  k.add({ pid: 900, ppid: 1, pgrp: PROG, session: 900, tag: 'stranger' }) // claims our group from outside
  k.procs.get(900)!.pgrp = 900
  const r = await terminateTree(ROOT, PROG, 300, k.deps())
  t.same(r.survivors, 0)
  t.ok(k.delivered.filter((d) => d.tag === 'prog').every((d) => d.via === 'child' || d.via === 'group'))
  t.ok(k.signalsTo('same-group').includes(SIGTERM), "the program's group, through its held leader")
  t.ok(k.signalsTo('grandchild').includes(SIGTERM), 'the grandchild, once re-parented to us')
  t.same(k.signalsTo('stranger'), [])
  t.equal(k.procs.size, 2, 'only the init and the stranger are left')
})

t.test("without /proc (an empty scan): the program's group, only while a child of ours is in it", async (t) => {
  const k = new FakeKernel(ROOT)
  k.add({ pid: PROG, tag: 'prog' })
  k.add({ pid: 201, ppid: PROG, pgrp: PROG, tag: 'member' })
  const blind = { ...k.deps(), ops: { ...k.ops(), scan: () => [] } }
  const r = await terminateTree(ROOT, PROG, 500, blind)
  t.same(k.delivered.slice(0, 2).map((d) => [d.pid, d.signal, d.via]), [[PROG, SIGTERM, 'group'], [201, SIGTERM, 'group']])
  t.equal(k.procs.size, 1, 'the whole group went')
  t.same(r, { termed: 0, killed: 0, survivors: 0 })
  // the program reaped, a member re-parented to us still in its group: reached
  const kept = new FakeKernel(ROOT)
  kept.add({ pid: 201, ppid: ROOT, pgrp: PROG, tag: 'member' })
  await terminateTree(ROOT, PROG, 500, { ...kept.deps(), ops: { ...kept.ops(), scan: () => [] } })
  t.same(kept.signalsTo('member')[0], SIGTERM, 'a child of ours left in the group: the group is still the program\'s')
  // the program reaped, its pid a stranger's group: nothing is sent
  const s = new FakeKernel(ROOT)
  s.add({ pid: PROG, ppid: 1, pgrp: PROG, session: PROG, tag: 'stranger' })
  await terminateTree(ROOT, PROG, 40, { ...s.deps(), ops: { ...s.ops(), scan: () => [] } })
  t.same(s.delivered, [], 'a stranger holding the number gets nothing')
  // control: a stubborn group still ours gets SIGKILL after the grace
  const g = new FakeKernel(ROOT)
  g.add({ pid: PROG, ignores: [SIGTERM], tag: 'prog' })
  await terminateTree(ROOT, PROG, 40, { ...g.deps(), ops: { ...g.ops(), scan: () => [] } })
  t.ok(g.signalsTo('prog').includes(SIGKILL), 'control: the group gets SIGKILL after the grace')
})
