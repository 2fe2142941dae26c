// The typed face of the C addon (native/). Mechanism only: every decision
// about what to call, and when, lives in the TypeScript modules.
import type { FdFacts } from '../init/inherited-fds'

/**
 * The numbers and names C and TypeScript share. The addon exports the same
 * object as `constants` (native/constants.h, native/binding.c), and
 * test/native/addon.test.ts checks that the two are equal, so neither side
 * can change one alone. Use these, never bare numbers, at the boundary.
 */
export const NATIVE_CONSTANTS = {
  eventTypes: ['reaped', 'signal', 'stopped', 'programExited'],
  spawnSteps: ['setpgid', 'tcsetpgrp', 'exec'],
  /** a signal event's err while no program runs: held, delivered once it runs */
  held: -1,
  maxSignal: 64,
  /** errno values (asm-generic: the same on x86-64 and arm64) */
  errno: { EPERM: 1, ENOENT: 2, ESRCH: 3, EAGAIN: 11, EACCES: 13, ENOTDIR: 20, ENOTTY: 25, EMFILE: 24, ENOSYS: 38 },
} as const

export const { errno: Errno, held: SIGNAL_HELD } = NATIVE_CONSTANTS

/** An orphan (not the program) reaped by the SIGCHLD handler. */
export interface ReapedEvent {
  type: 'reaped'
  pid: number
  /** wait status (wait(2)) */
  status: number
  /** with details: starttime in clock ticks since boot (proc(5)), else 0 */
  start: number
  /** with details: the command name (comm), else '' */
  comm: string
}

/** A signal the forwarding handler received, and what it did with it. */
export interface SignalEvent {
  type: 'signal'
  signal: number
  /** the signal sent after rewriting (0 = dropped by policy) */
  sentAs: number
  /** pid it went to (negative = process group), 0 if none */
  target: number
  /** 0 = sent, SIGNAL_HELD = held until the program runs, else errno of kill(2) */
  err: number
  /** si_pid of the sender (0 = kernel or unknown) */
  sender: number
}

/** Job control: the program stopped, and the addon stopped our group after it. */
export interface StoppedEvent {
  type: 'stopped'
  pid: number
  /** the stop signal */
  signal: number
}

/** The program was reaped. Kept apart from the ring in C, so no storm can
 * lose it; drain() reports it exactly once, after that batch's events. */
export interface ProgramExitedEvent {
  type: 'programExited'
  pid: number
  /** wait status (wait(2)) */
  status: number
}

/** One thing the addon's handlers did, drained from its lock-free ring. */
export type NativeEvent = ReapedEvent | SignalEvent | StoppedEvent | ProgramExitedEvent
export type NativeEventType = (typeof NATIVE_CONSTANTS.eventTypes)[number]
export type SpawnStep = (typeof NATIVE_CONSTANTS.spawnSteps)[number]

export interface SpawnOptions {
  argv: string[]
  /** null or absent: the environment exactly as exec(2) gave it to the init
   * (/proc/self/environ; Node's edited environ without /proc) */
  env?: string[] | null
  /** the program leads its own process group */
  newGroup?: boolean
  /** ... and gets the terminal's foreground (needs newGroup) */
  takeTty?: boolean
  /** these lose close-on-exec in the child */
  keepFds?: number[]
  /** argv's bytes from the tail of /proc/self/cmdline (JS strings cannot carry invalid UTF-8) */
  exactArgv?: boolean
  /** a LISTEN_PID naming the init names the program instead (socket activation) */
  listenPid?: boolean
}

interface SpawnFacts {
  pid: number
  /** argv came from /proc/self/cmdline, byte for byte */
  argvExact: boolean
  /** env came from /proc/self/environ, byte for byte */
  envExact: boolean
}

/** A child exists either way (its pid is reaped as the program); on failure
 * it exited before running the program, at `step`. */
export type SpawnResult =
  | (SpawnFacts & { ok: true })
  | (SpawnFacts & { ok: false; step: SpawnStep; errno: number; message: string })

/** What ttyInfo() reports about stdin's terminal and our place in it. */
export interface TtyInfo {
  /** isatty(0) */
  isatty: number
  /** tcgetpgrp(0): the terminal's foreground process group (-1: none) */
  foreground: number
  /** getpgrp() */
  pgrp: number
  /** getsid(0) */
  sid: number
  /** getsid(getppid()) */
  parentSid: number
}

export interface NativeBinding {
  readonly constants: typeof NATIVE_CONSTANTS
  setup(): { sigrtmin: number; sigrtmax: number; clockTicks: number }
  /** fn runs on the event loop after the handlers recorded events (uv_async) */
  onWake(fn: () => void): void
  /** what is known about every open descriptor (src/init/inherited-fds.ts decides) */
  fdFacts(): FdFacts
  /** no more wake-ups: the loop may end */
  stopWake(): void
  setPolicy(map: Int32Array, toGroup: boolean, details: boolean): void
  /** forward: the handler forwards these; ignore: SIG_IGN; ownDrop: of the
   * forwarded, drop these when the kernel raised them on us for our own act */
  installHandlers(forward: number[], ignore: number[], ownDrop: number[]): void
  handlerIsOurs(signal: number): boolean
  /** every disposition back to what it was before installHandlers; held
   * signals are raised (modes that run no program) */
  releaseSignals(): void
  /** start the log writer thread on fd: 0, or the errno (EAGAIN: no pid free) */
  logStart(fd: number): number
  /** queue text for the writer thread; false if it does not fit (dropped) */
  logWrite(text: string): boolean
  /** wait up to ms for the queue to drain; true if it did (or stderr broke) */
  logFlush(ms: number): boolean
  /** throws (with errno) only when no child could be made (clone: EAGAIN) */
  spawn(options: SpawnOptions): SpawnResult
  /** on: the program stopping stops our process group, SIGCONT hands the
   * terminal back to the program and continues its group */
  setJobControl(on: boolean): void
  drain(): NativeEvent[]
  reapNow(): number
  /** reaped: every child; orphans: those other than the program (counted
   * even when no event is made for them); dropped: events lost to a full ring */
  stats(): { reaped: number; orphans: number; forwarded: number; dropped: number }
  /** on false: an orphan reaped makes no event and no wake-up, it is only
   * counted (nothing would log it); true, the default: one event each.
   * nameOnly: of setPolicy's details only comm is read (start stays 0) */
  setReapEvents(on: boolean, nameOnly: boolean): void
  /** the addon writes each orphan's reap line itself into the log queue:
   * `${prefix}${pid}`, then ` (${comm})` when known (plain names only); null:
   * JS writes them (while a note about dropped lines is owed, for one) */
  setReapLines(prefix: string | null): void
  kill(pid: number, signal: number): number
  /** kill(pid), or kill(-pid) with group, only while pid is an unreaped
   * child of ours (checked with reaping held, so it stays one until the
   * kill): 0, or errno (ESRCH once reaped or never ours). pid from 2. */
  killChild(pid: number, signal: number, group: boolean): number
  /** kill(-pgid) only while an unreaped child of ours is in that group
   * (reaping held): 0, or ESRCH. pgid from 2. */
  killGroup(pgid: number, signal: number): number
  /** pidfd_open(2): a descriptor naming this process until closed, or
   * -errno (-ENOSYS: no pidfds on this kernel; -EPERM: refused by seccomp) */
  pidfdOpen(pid: number): number
  /** pidfd_send_signal(2) on a descriptor pidfdOpen made: 0 or errno
   * (ESRCH once its process is reaped) */
  pidfdSignal(fd: number, signal: number): number
  /** close(2) of a descriptor pidfdOpen made: 0 or errno */
  pidfdClose(fd: number): number
  setSubreaper(): void
  isSubreaper(): boolean
  /** true when this process has no child at all (waitid: ECHILD) */
  childless(): boolean
  setParentDeathSignal(signal: number): void
  ttyInfo(): TtyInfo
  /** tcsetpgrp(0, pgrp): 0 or errno */
  giveTerminal(pgrp: number): number
  /** _exit(2) at once: process.exit() joins the thread pool, which hangs
   * while a pool thread is blocked writing to a stderr nobody reads */
  exitNow(code: number): never
}
