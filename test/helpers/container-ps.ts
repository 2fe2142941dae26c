// The processes of a runc container, read from the host's /proc through
// src/lib/proc.ts: who is inside (by PID namespace), and their pids as the
// container sees them (NSpid).
import { readFileSync, readlinkSync } from 'node:fs'
import { listPids, readCmdline, readStat, type ProcStat } from '../../src/lib/proc'
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

/** The pid in the process's own (innermost) PID namespace: the last of
 * NSpid in /proc/PID/status, which lists it in each namespace, ours first. */
function nsPid(pid: number): number | undefined {
  try {
    const m = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    const last = m?.[1].trim().split(/\s+/).at(-1)
    return last === undefined ? undefined : Number(last)
  } catch {
    return undefined // gone
  }
}

/** Target of /proc/PID/ns/pid (e.g. "pid:[4026531836]"): processes in the
 * same PID namespace have the same one. Null when unreadable (a zombie has
 * dropped its namespaces). */
function pidNamespace(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`)
  } catch {
    return null
  }
}

/**
 * The container's processes, read from the host's /proc: those whose PID
 * namespace is the one of the container's init. A zombie has dropped its
 * namespaces (its ns links cannot be read), so a zombie counts as inside
 * when its parent is.
 */
export function psInContainer(c: Container | number): Proc[] {
  const initPid = typeof c === 'number' ? c : c.pid
  const ns = pidNamespace(initPid)
  if (!ns) return []
  const stats = new Map<number, ProcStat>()
  for (const pid of listPids()) {
    const st = readStat(pid)
    if (st) stats.set(pid, st)
  }
  const inside = new Set<number>()
  for (const pid of stats.keys()) if (pidNamespace(pid) === ns) inside.add(pid)
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
