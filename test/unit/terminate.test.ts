// terminate.ts over its injectable deps: a fake process table whose members
// die (or do not) on the signals they get. No processes, no /proc.
import t from 'tap'
import { terminateTree, type TerminateDeps } from '../../src/terminate'
import type { ProcInfo } from '../../src/process-tree'

const SIGKILL = 9
const SIGTERM = 15
const SIGCONT = 18
const ROOT = 100

interface Member extends ProcInfo {
  /** signals it survives */
  ignores?: number[]
  /** forks this child the first time it gets SIGTERM (during the grace) */
  forksOnTerm?: ProcInfo
  /** a stopped process sees SIGTERM only after SIGCONT */
  stoppedUntilCont?: boolean
}

function table(members: Partial<Member>[]) {
  const procs = new Map<number, Member>()
  for (const m of members) {
    const full = { ppid: ROOT, pgrp: m.pid as number, session: ROOT, state: 'S', comm: 'x', ...m } as Member
    procs.set(full.pid, full)
  }
  const kills: [number, number][] = []
  const pending = new Map<number, number[]>()
  const deps: TerminateDeps = {
    kill(pid, sig) {
      kills.push([pid, sig])
      if (pid < 0) {
        const members = [...procs.values()].filter((p) => p.pgrp === -pid)
        if (members.length === 0) return 3 // ESRCH
        if (sig === 0 || sig === SIGCONT) return 0
        for (const p of members) if (!(p.ignores ?? []).includes(sig)) procs.delete(p.pid)
        return 0
      }
      const p = procs.get(pid)
      if (!p) return 3
      if (sig === SIGCONT) {
        p.state = 'S'
        for (const s of pending.get(pid) ?? []) if (!(p.ignores ?? []).includes(s)) procs.delete(pid)
        return 0
      }
      if (p.state === 'T' && sig !== SIGKILL) {
        pending.set(pid, [...(pending.get(pid) ?? []), sig])
        return 0
      }
      if (sig === SIGTERM && p.forksOnTerm) {
        procs.set(p.forksOnTerm.pid, p.forksOnTerm as Member)
        p.forksOnTerm = undefined
      }
      if (!(p.ignores ?? []).includes(sig)) procs.delete(pid)
      return 0
    },
    scan: () => [{ pid: ROOT, ppid: 1, pgrp: ROOT, session: ROOT, state: 'S', comm: 'init' }, ...procs.values()],
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  }
  return { procs, kills, deps }
}

t.test('SIGTERM (and SIGCONT) to every member; nothing more when all go', async (t) => {
  const { kills, deps, procs } = table([{ pid: 200 }, { pid: 201, ppid: 200 }])
  const r = await terminateTree(ROOT, [200], 1000, deps)
  t.same(r, { termed: 2, killed: 0, survivors: 0 })
  t.equal(procs.size, 0)
  t.notOk(kills.some(([, s]) => s === SIGKILL), 'no SIGKILL')
  t.ok(kills.some(([p, s]) => p === 201 && s === SIGTERM))
})

t.test('SIGKILL after the grace period for a member that ignores SIGTERM, not before', async (t) => {
  const { kills, deps } = table([{ pid: 200, ignores: [SIGTERM] }, { pid: 201 }])
  const t0 = Date.now()
  const r = await terminateTree(ROOT, [200], 60, deps)
  t.same(r, { termed: 2, killed: 1, survivors: 0 })
  t.ok(Date.now() - t0 >= 55, 'the grace period was waited')
  t.same(kills.filter(([, s]) => s === SIGKILL), [[200, SIGKILL]])
  t.equal(kills.filter(([p, s]) => p === 200 && s === SIGTERM).length, 1, 'SIGTERM once per member')
})

t.test('a stopped member gets SIGCONT, so it sees the SIGTERM', async (t) => {
  const { kills, deps } = table([{ pid: 200, state: 'T' }])
  const r = await terminateTree(ROOT, [200], 500, deps)
  t.same(r, { termed: 1, killed: 0, survivors: 0 }, 'gone without SIGKILL')
  t.same(kills, [[200, SIGTERM], [200, SIGCONT]])
})

t.test('a process forked during the grace period gets SIGTERM too', async (t) => {
  const child = { pid: 300, ppid: 200, pgrp: 300, session: ROOT, state: 'S', comm: 'late' }
  const { kills, deps } = table([{ pid: 200, ignores: [SIGTERM], forksOnTerm: child }])
  const r = await terminateTree(ROOT, [200], 60, deps)
  t.ok(kills.some(([p, s]) => p === 300 && s === SIGTERM), 'the new fork was sent SIGTERM')
  t.same(r, { termed: 2, killed: 1, survivors: 0 })
})

t.test('zombies count as gone; processes outside the tree are left alone', async (t) => {
  const { kills, deps } = table([{ pid: 200, state: 'Z' }, { pid: 900, ppid: 1, pgrp: 900, session: 900 }])
  const r = await terminateTree(ROOT, [], 500, deps)
  t.same(r, { termed: 0, killed: 0, survivors: 0 })
  t.same(kills, [])
})

t.test('members that outlive SIGKILL are counted as survivors (after the kill wait)', async (t) => {
  const { deps } = table([{ pid: 200, ignores: [SIGTERM, SIGKILL] }])
  const r = await terminateTree(ROOT, [200], 20, deps)
  t.same(r, { termed: 1, killed: 1, survivors: 1 })
})

t.test('without /proc (an empty scan): the program\'s process group, by kill(-pgrp)', async (t) => {
  const { kills, deps, procs } = table([{ pid: 200, pgrp: 200 }, { pid: 201, pgrp: 200 }])
  const blind: TerminateDeps = { ...deps, scan: () => [] }
  const r = await terminateTree(ROOT, [200], 500, blind)
  t.same(kills.slice(0, 2), [[-200, SIGTERM], [-200, SIGCONT]])
  t.equal(procs.size, 0, 'the whole group went')
  t.same(r, { termed: 0, killed: 0, survivors: 0 })
  const stubborn = table([{ pid: 200, pgrp: 200, ignores: [SIGTERM] }])
  const r2 = await terminateTree(ROOT, [200], 40, { ...stubborn.deps, scan: () => [] })
  t.ok(stubborn.kills.some(([p, s]) => p === -200 && s === SIGKILL), 'the group gets SIGKILL after the grace')
  t.same(r2, { termed: 0, killed: 0, survivors: 0 })
})
