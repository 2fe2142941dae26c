// The tree of src/init/process-tree.ts, with each member tied to the process that
// was read, not to its number: a pidfd (pidfd_open(2)) opened at discovery,
// and signals sent through it (pidfd_send_signal(2)), which fail with ESRCH
// once that process is reaped instead of reaching whoever got the number.
//
// One pass of find():
//   1. scan /proc: the candidates (descendants() of the scan);
//   2. open a pidfd for each candidate not held yet;
//   3. read each candidate's /proc/PID/stat again, after its pidfd is open;
//   4. keep those whose pidfd still names an unreaped process (signal 0).
// A pidfd open before the read in 3 and unreaped after it named the process
// at that pid during the read, so the read describes the process the pidfd
// names. descendants() of those reads alone is the answer: every parent,
// group leader and session leader it relies on is one of them, held the same
// way, so each link it follows was true of the processes the pidfds name.
// A pid whose pidfd reports the process reaped is dropped (and its pidfd
// closed); if the number comes back as someone else, a later pass reads
// that process afresh and decides again.
//
// Without pidfds (Linux before 5.3, or a seccomp filter that refuses
// pidfd_open), the same reads decide who belongs, but only our own children
// are signalled, through killChild: the addon holds reaping, checks with
// waitid(WNOWAIT) that the pid is still an unreaped child of ours, and kills
// it, so the pid cannot change hands in between. A child that leads a group
// is signalled as that group too (its group id is its own pid, held by the
// held child). Deeper descendants in other groups are reached once their
// parent is gone and they are re-parented to us: the init is a subreaper
// whenever it terminates a tree (--timeout, --cleanup).
import { Errno } from '../runtime/native'
import { descendants, type ProcInfo } from './process-tree'

/** What the tree logic needs from the system (the addon and /proc). */
export interface TreeOps {
  /** every process now (empty without /proc) */
  scan(): ProcInfo[]
  /** /proc/PID/stat now, or null */
  stat(pid: number): ProcInfo | null
  /** a pidfd, or -errno */
  pidfdOpen(pid: number): number
  /** 0 or errno */
  pidfdSignal(fd: number, signal: number): number
  pidfdClose(fd: number): number
  /** kill(pid) (or its group) only while pid is an unreaped child of ours: 0 or errno */
  killChild(pid: number, signal: number, group: boolean): number
  /** kill(-pgid) only while an unreaped child of ours is in that group: 0 or errno */
  killGroup(pgid: number, signal: number): number
}

/** A member of the tree as verified by one pass. */
export interface Member extends ProcInfo {
  /** the same for the same process across passes (a pid may be reused) */
  key: string
  /** its pidfd, or -1 (no pidfds: killChild, our children only) */
  fd: number
}

const { ENOSYS, EPERM, ESRCH } = Errno

export class TreeHandles {
  private readonly held = new Map<number, { fd: number; serial: number }>()
  private serial = 0
  /** pidfd_open is not there (or refused): the fallback for good */
  private noPidfd = false

  constructor(
    private readonly root: number,
    private readonly program: number,
    private readonly ops: TreeOps,
  ) {}

  /** Whether signals go through pidfds (false: the fallback above). */
  get usesPidfds(): boolean {
    return !this.noPidfd
  }

  /** The verified members of the tree now (one pass, see above). */
  find(): Member[] {
    const candidates = descendants(this.ops.scan(), this.root, this.program)
    if (!this.noPidfd) for (const c of candidates) if (!this.held.has(c.pid)) this.open(c.pid)
    const reread: ProcInfo[] = []
    for (const c of candidates) {
      const st = this.ops.stat(c.pid)
      if (st) reread.push(st)
    }
    if (this.noPidfd) return descendants(reread, this.root, this.program).map((p) => ({ ...p, fd: -1, key: `pid${p.pid}` }))
    const named = reread.filter((p) => this.stillNamed(p.pid))
    const members: Member[] = descendants(named, this.root, this.program).map((p) => {
      const h = this.held.get(p.pid) as { fd: number; serial: number }
      return { ...p, fd: h.fd, key: `fd${h.serial}` }
    })
    // A child of ours that got no pidfd (EMFILE) is still reached through
    // killChild, which checks it again; it proves no one else a member.
    const unheld = reread.filter((p) => p.ppid === this.root && !this.held.has(p.pid))
    return [...members, ...unheld.map((p) => ({ ...p, fd: -1, key: `pid${p.pid}` }))]
  }

  /** Sends signal to a member: 0 or errno (ESRCH: gone, or not reachable
   * without a pidfd yet). */
  signal(m: Member, signal: number): number {
    if (m.fd >= 0) return this.ops.pidfdSignal(m.fd, signal)
    if (m.ppid !== this.root) return ESRCH
    // A child that leads its group: the group (it included) in one call.
    return this.ops.killChild(m.pid, signal, m.pgrp === m.pid)
  }

  /** Closes every pidfd held. */
  close(): void {
    for (const h of this.held.values()) this.ops.pidfdClose(h.fd)
    this.held.clear()
  }

  private open(pid: number): void {
    const fd = this.ops.pidfdOpen(pid)
    if (fd >= 0) this.held.set(pid, { fd, serial: ++this.serial })
    else if (-fd === ENOSYS || -fd === EPERM) this.noPidfd = true
    // ESRCH: gone already. EMFILE/ENFILE: none this pass; a child of ours
    // is still reached through killChild, the rest on a later pass.
  }

  /** After the re-read: does pid still name the process read? Only with a
   * pidfd whose process is unreaped now (it then held the pid through the
   * read). A candidate without one proves nothing, and links through it are
   * not followed. */
  private stillNamed(pid: number): boolean {
    const h = this.held.get(pid)
    if (!h) return false
    if (this.ops.pidfdSignal(h.fd, 0) === 0) return true
    this.ops.pidfdClose(h.fd)
    this.held.delete(pid)
    return false
  }
}
