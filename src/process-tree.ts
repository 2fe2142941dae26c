// Finds every descendant of the init from /proc (proc(5)): parent links first,
// then anyone sharing a process group or session with the tree, which catches
// processes that called setsid/setpgid and were re-parented elsewhere. Pure
// reading; the caller decides what to do with the answer.
import * as fs from 'node:fs'

export interface ProcInfo {
  pid: number
  ppid: number
  pgrp: number
  session: number
  state: string
  comm: string
}

/** Parses /proc/PID/stat; comm is in parentheses and may hold ')' or spaces. */
export function parseStat(text: string): ProcInfo | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const rest = text.slice(close + 2).split(' ')
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    session: Number(rest[3]),
  }
}

/** Every process visible in /proc now; ones that vanish mid-scan are skipped. */
export function scanProcesses(procDir = '/proc'): ProcInfo[] {
  const out: ProcInfo[] = []
  for (const name of fs.readdirSync(procDir)) {
    if (!/^\d+$/.test(name)) continue
    try {
      const info = parseStat(fs.readFileSync(`${procDir}/${name}/stat`, 'latin1'))
      if (info) out.push(info)
    } catch {
      // exited between readdir and read: normal
    }
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
