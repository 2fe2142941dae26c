// The processes of a runc container, read from the host's /proc through
// src/lib/proc.ts: who is inside (by PID namespace), and their pids as the
// container sees them (NSpid).
import { listPids, readCmdline, readNamespace, readStat, readStatus, type ProcStat } from '../../src/lib/proc'
import type { Container } from './runc'

export interface Proc {
  hostPid: number
  /** pid and parent pid as seen inside the container (ppid 0: parent outside, e.g. runc exec). */
  pid: number
  ppid: number
  state: string
  comm: string
  /** argv from /proc/N/cmdline (empty for zombies). */
  argv: string[]
}

/** The pid in the process's own (innermost) PID namespace. */
function nsPid(pid: number): number | undefined {
  return readStatus(pid)?.nsPid?.at(-1)
}

/**
 * The container's processes, read from the host's /proc: those whose PID
 * namespace is the one of the container's init. A zombie has dropped its
 * namespaces (its ns links cannot be read), so a zombie counts as inside
 * when its parent is.
 */
export function psInContainer(c: Container | number): Proc[] {
  const initPid = typeof c === 'number' ? c : c.pid
  const ns = readNamespace(initPid, 'pid')
  if (!ns) return []
  const stats = new Map<number, ProcStat>()
  for (const pid of listPids()) {
    const st = readStat(pid)
    if (st) stats.set(pid, st)
  }
  const inside = new Set<number>()
  for (const pid of stats.keys()) if (readNamespace(pid, 'pid') === ns) inside.add(pid)
  for (const [pid, st] of stats) {
    if (!inside.has(pid) && st.state === 'Z' && inside.has(st.ppid)) inside.add(pid)
  }
  const out: Proc[] = []
  for (const hostPid of inside) {
    const st = stats.get(hostPid)!
    out.push({
      hostPid,
      pid: nsPid(hostPid) ?? -1,
      ppid: inside.has(st.ppid) ? (nsPid(st.ppid) ?? -1) : 0,
      state: st.state,
      comm: st.comm,
      argv: readCmdline(hostPid) ?? [],
    })
  }
  return out.sort((a, b) => a.pid - b.pid)
}

export function zombies(c: Container | number): Proc[] {
  return psInContainer(c).filter((p) => p.state === 'Z')
}
