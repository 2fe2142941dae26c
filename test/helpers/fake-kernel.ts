// A process table with the kernel's rules that matter to src/init/tree-handles.ts
// and src/init/terminate.ts, for unit tests: pids that are handed out again once
// reaped, pidfds that keep naming the process they were opened on (ESRCH
// once it is gone), and killChild that reaches only our unreaped children.
// Hooks let a test recycle a pid at the worst moment (between the scan and
// the pidfd_open, between the open and the re-read).
import type { ProcInfo } from '../../src/init/process-tree'
import type { TreeOps } from '../../src/init/tree-handles'

export const SIGKILL = 9
export const SIGTERM = 15
export const SIGCONT = 18
const ESRCH = 3
const ENOSYS = 38

export interface KProc extends ProcInfo {
  /** signals it survives (SIGKILL always ends it) */
  ignores?: number[]
  /** forks this child the first time it gets SIGTERM */
  forksOnTerm?: KProc
  /** a stopped process sees SIGTERM only after SIGCONT */
  stoppedUntilCont?: boolean
  /** who is this (tests tell strangers from members) */
  tag?: string
}

export interface Delivery {
  pid: number
  signal: number
  tag?: string
  via: 'pidfd' | 'child' | 'group'
}

export class FakeKernel {
  readonly procs = new Map<number, KProc>()
  readonly delivered: Delivery[] = []
  private readonly fds = new Map<number, KProc>()
  private nextFd = 3
  /** false: pidfd_open says ENOSYS (a kernel before 5.3) */
  pidfds = true
  /** run after each scan (with how many there were), after each pidfd_open
   * (with the pid), before each re-read */
  afterScan?: (n: number) => void
  private scans = 0
  afterOpen?: (pid: number) => void
  beforeStat?: (pid: number) => void
  private pendingTerm = new Set<KProc>()

  constructor(readonly root: number) {
    this.add({ pid: root, ppid: 1, pgrp: root, session: root, tag: 'init' })
  }

  add(p: Partial<KProc> & { pid: number }): KProc {
    const full: KProc = { ppid: this.root, pgrp: p.pid, session: this.root, state: 'S', comm: 'x', ...p }
    if (this.procs.has(full.pid)) throw new Error(`pid ${full.pid} is in use`)
    this.procs.set(full.pid, full)
    return full
  }

  /** The process dies and is reaped: its pid is free; its children go to root (a subreaper). */
  reap(pid: number): void {
    const p = this.procs.get(pid)
    if (!p) return
    this.procs.delete(pid)
    for (const c of this.procs.values()) if (c.ppid === pid) c.ppid = this.root
  }

  /** How many times recycle() handed a pid out again. */
  recycled = 0

  /** The process is reaped and its pid handed at once to a new one, `as`. */
  recycle(pid: number, as: Partial<KProc>): KProc {
    this.reap(pid)
    this.recycled++
    return this.add({ ...as, pid })
  }

  get openFds(): number {
    return this.fds.size
  }

  /** the signals a process got (signal 0, the liveness probe, not counted) */
  signalsTo(tag: string): number[] {
    return this.delivered.filter((d) => d.tag === tag && d.signal !== 0).map((d) => d.signal)
  }

  private deliver(p: KProc, sig: number, via: Delivery['via']): void {
    this.delivered.push({ pid: p.pid, signal: sig, tag: p.tag, via })
    if (sig === 0) return
    if (sig === SIGCONT) {
      if (p.stoppedUntilCont && this.pendingTerm.has(p)) {
        p.stoppedUntilCont = false
        if (!(p.ignores ?? []).includes(SIGTERM)) this.reap(p.pid)
      }
      p.stoppedUntilCont = false
      return
    }
    if (sig === SIGTERM && p.stoppedUntilCont) {
      this.pendingTerm.add(p)
      return
    }
    if (sig === SIGTERM && p.forksOnTerm) {
      this.add(p.forksOnTerm)
      p.forksOnTerm = undefined
    }
    if (sig === SIGKILL || !(p.ignores ?? []).includes(sig)) this.reap(p.pid)
  }

  ops(): TreeOps {
    return {
      scan: () => {
        const out = [...this.procs.values()].map((p) => ({ ...p }))
        this.afterScan?.(++this.scans)
        return out
      },
      stat: (pid) => {
        this.beforeStat?.(pid)
        const p = this.procs.get(pid)
        return p ? { ...p } : null
      },
      pidfdOpen: (pid) => {
        if (!this.pidfds) return -ENOSYS
        const p = this.procs.get(pid)
        if (!p) return -ESRCH
        const fd = this.nextFd++
        this.fds.set(fd, p)
        this.afterOpen?.(pid)
        return fd
      },
      pidfdSignal: (fd, sig) => {
        const p = this.fds.get(fd)
        if (!p) throw new TypeError(`pidfdSignal: fd ${fd} is not a pidfd of ours`)
        if (this.procs.get(p.pid) !== p) return ESRCH
        this.deliver(p, sig, 'pidfd')
        return 0
      },
      pidfdClose: (fd) => {
        if (!this.fds.delete(fd)) throw new TypeError(`pidfdClose: fd ${fd} is not a pidfd of ours`)
        return 0
      },
      killChild: (pid, sig, group) => {
        const p = this.procs.get(pid)
        if (!p || p.ppid !== this.root) return ESRCH
        if (!group) {
          this.deliver(p, sig, 'child')
          return 0
        }
        const members = [...this.procs.values()].filter((q) => q.pgrp === pid)
        if (members.length === 0) return ESRCH
        for (const q of members) this.deliver(q, sig, 'group')
        return 0
      },
      killGroup: (pgid, sig) => {
        const members = [...this.procs.values()].filter((q) => q.pgrp === pgid)
        if (!members.some((q) => q.ppid === this.root)) return ESRCH
        for (const q of members) this.deliver(q, sig, 'group')
        return 0
      },
    }
  }

  deps() {
    return { ops: this.ops(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) }
  }
}
