// A stand-in for the addon (src/runtime/native.ts NativeBinding) for unit tests of
// the TypeScript policy: no handlers, no processes. spawn() hands out a pid;
// a test pushes the events the handlers would record and wakes the listener
// as uv_async would (on a later turn of the loop). kill() of the program (or
// its group) with a signal it does not ignore "ends" it: the fake then reports
// programExited with that signal's wait status, as the SIGCHLD handler would.
import { NATIVE_CONSTANTS, type NativeBinding, type NativeEvent, type SpawnOptions, type SpawnResult, type TtyInfo } from '../../src/runtime/native'
import type { FdFacts } from '../../src/init/inherited-fds'
import type { OwnedSignals } from '../../src/runtime/early-signals'
import type { ProcInfo } from '../../src/init/process-tree'

export interface FakeProc extends ProcInfo {
  /** signals this process survives (SIGKILL always ends it) */
  ignores?: Set<number>
}

export class FakeBinding implements NativeBinding {
  readonly constants = NATIVE_CONSTANTS
  /** every call, by name, in order (arguments for the interesting ones) */
  readonly calls: string[] = []
  readonly kills: [number, number][] = []
  readonly spawned: SpawnOptions[] = []
  readonly logged: string[] = []
  /** processes a scan sees (the init is `initPid`) */
  readonly procs = new Map<number, FakeProc>()
  /** what the next spawn does: a result, or an error to throw (clone failed) */
  spawnOutcome: ((pid: number) => SpawnResult) | Error = (pid) => ({ ok: true, pid, argvExact: true, envExact: true })
  /** logWrite accepts while this is true */
  logAccepts = true
  subreaper = false
  tty: TtyInfo = { isatty: 0, foreground: -1, pgrp: 4242, sid: 4242, parentSid: 1 }
  /** set to make a step throw: method name -> error */
  failing = new Map<string, Error>()
  stopped = false
  /** signals the program survives (a stubborn program) */
  programIgnores = new Set<number>()
  private queue: NativeEvent[] = []
  private wake: (() => void) | undefined
  private nextPid = 1000
  programPid = 0
  private exitReported = false
  private dropped = 0
  private orphans = 0

  constructor(readonly initPid = 4242) {}

  private call(name: string): void {
    this.calls.push(name)
    const err = this.failing.get(name)
    if (err) throw err
  }

  // --- test side -----------------------------------------------------------

  /** Records events as the handlers would, and wakes the listener later. */
  emit(...events: NativeEvent[]): void {
    this.queue.push(...events)
    setImmediate(() => {
      if (!this.stopped) this.wake?.()
    })
  }

  /** The program ends with this wait status (reaped by the handler). */
  exitProgram(status: number): void {
    this.procs.delete(this.programPid)
    if (this.exitReported) return
    this.exitReported = true
    this.emit({ type: 'programExited', pid: this.programPid, status })
  }

  /** A process the scan will see as a descendant of the init. */
  addProc(p: Partial<FakeProc> & { pid: number }): FakeProc {
    const full: FakeProc = { ppid: this.initPid, pgrp: p.pid, session: this.tty.sid, state: 'S', comm: 'x', ...p }
    this.procs.set(full.pid, full)
    return full
  }

  scan(): ProcInfo[] {
    const err = this.failing.get('scan')
    if (err) throw err
    return [{ pid: this.initPid, ppid: 1, pgrp: this.initPid, session: this.initPid, state: 'S', comm: 'tini-ts' }, ...this.procs.values()]
  }

  // --- NativeBinding -------------------------------------------------------

  setup() {
    this.call('setup')
    return { sigrtmin: 34, sigrtmax: 64, clockTicks: 100 }
  }
  /** What the entry hands the supervisor once it has set the addon up and
   * installed its handlers (src/runtime/early-signals.ts): here, the fake. */
  owned(): OwnedSignals {
    const s = this.setup()
    this.installHandlers()
    return { native: this, rt: { min: s.sigrtmin, max: s.sigrtmax }, clockTicks: s.clockTicks }
  }
  onWake(fn: () => void): void {
    this.call('onWake')
    this.wake = fn
  }
  fdFacts(): FdFacts {
    this.call('fdFacts')
    return { proc: true, fork: 0, rows: [] }
  }
  stopWake(): void {
    this.call('stopWake')
    this.stopped = true
  }
  setPolicy(): void {
    this.call('setPolicy')
  }
  installHandlers(): void {
    this.call('installHandlers')
  }
  handlerIsOurs(): boolean {
    return true
  }
  releaseSignals(): void {
    this.call('releaseSignals')
  }
  logStart(): number {
    this.call('logStart')
    return 0
  }
  logWrite(text: string): boolean {
    if (!this.logAccepts) return false
    this.logged.push(text)
    return true
  }
  logFlush(): boolean {
    return true
  }
  spawn(options: SpawnOptions): SpawnResult {
    this.call('spawn')
    this.spawned.push(options)
    if (this.spawnOutcome instanceof Error) throw this.spawnOutcome
    const pid = this.nextPid++
    const r = this.spawnOutcome(pid)
    this.programPid = pid
    // A child exists either way; a failed one has exited already.
    if (r.ok) this.addProc({ pid, comm: options.argv[0] })
    else this.exitProgram(r.step === 'exec' ? (127 << 8) : (126 << 8))
    return r
  }
  setJobControl(on: boolean): void {
    this.calls.push(`setJobControl(${on})`)
  }
  drain(): NativeEvent[] {
    const out = this.queue
    this.queue = []
    // the addon counts every orphan it reaps, logged or not
    this.orphans += out.filter((e) => e.type === 'reaped').length
    return out
  }
  reapNow(): number {
    this.call('reapNow')
    return 0
  }
  stats() {
    return { reaped: 0, orphans: this.orphans, forwarded: 0, dropped: this.dropped }
  }
  childless(): boolean {
    return ![...this.procs.values()].some((p) => p.ppid === this.initPid)
  }
  setReapEvents(on: boolean, nameOnly: boolean): void {
    this.calls.push(`setReapEvents(${on}, ${nameOnly})`)
  }
  /** the prefix the addon would write reap lines with (null: JS writes them) */
  reapLines: string | null = null
  setReapLines(prefix: string | null): void {
    this.reapLines = prefix
  }
  kill(pid: number, signal: number): number {
    this.kills.push([pid, signal])
    const targets = pid < 0 ? [...this.procs.values()].filter((p) => p.pgrp === -pid) : [this.procs.get(pid)].filter((p) => p !== undefined)
    if (targets.length === 0) return NATIVE_CONSTANTS.errno.ESRCH
    if (signal === 0 || signal === 18) return 0
    for (const p of targets) {
      const survives = signal !== 9 && (p.ignores?.has(signal) || (p.pid === this.programPid && this.programIgnores.has(signal)))
      if (survives) continue
      if (p.pid === this.programPid) this.exitProgram(signal)
      else this.procs.delete(p.pid)
    }
    return 0
  }
  /** pidfds handed out: each names the process object it was opened on */
  readonly pidfds = new Map<number, FakeProc>()
  private nextFd = 100
  pidfdOpen(pid: number): number {
    const p = this.procs.get(pid)
    if (!p) return -NATIVE_CONSTANTS.errno.ESRCH
    this.pidfds.set(this.nextFd, p)
    return this.nextFd++
  }
  pidfdSignal(fd: number, signal: number): number {
    const p = this.pidfds.get(fd)
    if (!p) throw new TypeError('pidfdSignal: fd must be a descriptor pidfdOpen returned')
    // reaped (gone from the table, or its pid now someone else's): ESRCH
    if (this.procs.get(p.pid) !== p) return NATIVE_CONSTANTS.errno.ESRCH
    return this.kill(p.pid, signal)
  }
  pidfdClose(fd: number): number {
    if (!this.pidfds.delete(fd)) throw new TypeError('pidfdClose: fd must be a descriptor pidfdOpen returned')
    return 0
  }
  killChild(pid: number, signal: number, group: boolean): number {
    const p = this.procs.get(pid)
    if (!p || p.ppid !== this.initPid) return NATIVE_CONSTANTS.errno.ESRCH
    return this.kill(group ? -pid : pid, signal)
  }
  killGroup(pgid: number, signal: number): number {
    if (![...this.procs.values()].some((p) => p.pgrp === pgid && p.ppid === this.initPid)) return NATIVE_CONSTANTS.errno.ESRCH
    return this.kill(-pgid, signal)
  }
  setSubreaper(): void {
    this.call('setSubreaper')
    this.subreaper = true
  }
  isSubreaper(): boolean {
    return this.subreaper
  }
  setParentDeathSignal(): void {
    this.call('setParentDeathSignal')
  }
  ttyInfo(): TtyInfo {
    return { ...this.tty }
  }
  giveTerminal(pgrp: number): number {
    this.call(`giveTerminal(${pgrp})`)
    // as the addon checks its argument (native/binding.c)
    if (!Number.isInteger(pgrp) || pgrp < 1) throw new TypeError('giveTerminal(pgrp: number): pgrp must be an integer from 1 to 2147483647')
    return 0
  }
  exitNow(code: number): never {
    throw new Error(`exitNow(${code}) called in a unit test`)
  }
}
