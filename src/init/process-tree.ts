// Finds the descendants of the init from /proc (proc(5)). Pure reading over a
// list of processes; the caller decides what to do with the answer, and
// src/init/tree-handles.ts makes sure each answer still names the process read.
//
// Who counts as ours, and why a recycled pid cannot make a stranger count:
//  - By parent link: our children, their children, and so on. A process's
//    parent is a process, not a number that outlives it: while we read a
//    child's ppid, that parent exists.
//  - By group or session, only when its leader is a member found here: a
//    process whose process group id (or session id) is the pid of a member.
//    A group id is always the pid of the process that made the group
//    (setpgid(2) makes a new group only with the moved process's own pid,
//    setsid(2) with the caller's), and the kernel does not hand a pid out
//    again while any process still uses it as its pid, its group id or its
//    session id. So if a group with id L exists while the process with pid L
//    is one of ours, that process made the group: the number L was taken the
//    whole time, by it or by its group. Members of such a group or session
//    are ours even when re-parented elsewhere (not a subreaper, say).
//  - The program's own group after the program is reaped: the leader is
//    gone, so nothing above proves the number is still the group the
//    program made. It is, for as long as a member found above is still in
//    it (the group then never emptied, so its number was never free). Once
//    none is, the group is no longer ours, whoever else has that number now.
// A group or session id alone, without a leader among ours, adopts no one.
import { listPids, procSelfPid, readStat, type ProcStat } from '../lib/proc'

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
 * The tree below `root` (not root itself), by the rules above: descendants
 * by parent link, members of groups and sessions led by a member, and, if
 * `programGroup` is given, the program's group while a member is in it.
 */
export function descendants(procs: ProcInfo[], root: number, programGroup?: number): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>()
  for (const p of procs) {
    const list = children.get(p.ppid)
    if (list) list.push(p)
    else children.set(p.ppid, [p])
  }
  const inTree = new Map<number, ProcInfo>()
  const addWithChildren = (p: ProcInfo) => {
    const stack = [p]
    while (stack.length) {
      const q = stack.pop() as ProcInfo
      if (q.pid === root || inTree.has(q.pid)) continue
      inTree.set(q.pid, q)
      stack.push(...(children.get(q.pid) ?? []))
    }
  }
  for (const c of children.get(root) ?? []) addWithChildren(c)
  const ledByMember = (id: number) => id !== root && inTree.has(id)
  // Repeat until nothing is added: an adopted process may lead a group too.
  for (let grew = true; grew; ) {
    grew = false
    const witnessed = programGroup !== undefined && programGroup > 0 && [...inTree.values()].some((m) => m.pgrp === programGroup)
    for (const p of procs) {
      if (p.pid === root || inTree.has(p.pid)) continue
      if (ledByMember(p.pgrp) || ledByMember(p.session) || (witnessed && p.pgrp === programGroup)) {
        addWithChildren(p)
        grew = true
      }
    }
  }
  return [...inTree.values()]
}
