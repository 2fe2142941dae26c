// Finds every descendant of the init from /proc (proc(5)): parent links first,
// then anyone sharing a process group or session with the tree, which catches
// processes that called setsid/setpgid and were re-parented elsewhere. Pure
// reading; the caller decides what to do with the answer.
import { listPids, procSelfPid, readStat, type ProcStat } from './proc'

export type ProcInfo = Pick<ProcStat, 'pid' | 'ppid' | 'pgrp' | 'session' | 'state' | 'comm'>

/** Every process visible in /proc now; ones that vanish mid-scan are skipped.
 * With `ownNamespaceOnly`, nothing when /proc belongs to another PID
 * namespace (entered with `nsenter -p` but not `-m`, say): its pids are not
 * ours, and a tree found there would be a stranger's, to be killed. */
export function scanProcesses(ownNamespaceOnly = false): ProcInfo[] {
  if (ownNamespaceOnly && procSelfPid() !== process.pid) return []
  const out: ProcInfo[] = []
  for (const pid of listPids()) {
    const st = readStat(pid)
    if (st) out.push(st)
  }
  return out
}

/**
 * The tree below `root` (not root itself): its descendants by parent link,
 * plus members of any process group or session led by a tree member or by
 * one of `alsoGroups` (the program's group, which outlives its leader).
 */
export function descendants(procs: ProcInfo[], root: number, alsoGroups: number[] = []): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>()
  for (const p of procs) {
    const list = children.get(p.ppid)
    if (list) list.push(p)
    else children.set(p.ppid, [p])
  }
  const inTree = new Map<number, ProcInfo>()
  const leaders = new Set<number>(alsoGroups)
  const addWithChildren = (p: ProcInfo) => {
    const stack = [p]
    while (stack.length) {
      const q = stack.pop() as ProcInfo
      if (q.pid === root || inTree.has(q.pid)) continue
      inTree.set(q.pid, q)
      leaders.add(q.pid)
      stack.push(...(children.get(q.pid) ?? []))
    }
  }
  for (const c of children.get(root) ?? []) addWithChildren(c)
  // Groups and sessions started by tree members: their members belong too,
  // even when re-parented to another init. Repeat until nothing is added.
  for (let grew = true; grew; ) {
    grew = false
    for (const p of procs) {
      if (p.pid === root || inTree.has(p.pid)) continue
      if (leaders.has(p.pgrp) || leaders.has(p.session)) {
        addWithChildren(p)
        grew = true
      }
    }
  }
  return [...inTree.values()]
}
