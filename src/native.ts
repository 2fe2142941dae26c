// The typed face of the C addon (native/tini_native.c). Mechanism only: every
// decision about what to call, and when, lives in the TypeScript modules.
import type { FdFacts } from './inherited-fds'

/** One thing the addon's signal handlers did, drained from its lock-free ring. */
export interface NativeEvent {
  /** EVENT_REAPED or EVENT_SIGNAL */
  type: number
  /** reaped: the pid; signal: the target (negative = process group), 0 if none */
  pid: number
  /** reaped: the wait status (wait(2)); signal: the signal received */
  status: number
  /** signal: the signal sent after rewriting (0 = dropped by policy) */
  extra: number
  /** signal: errno of kill(2), 0 = delivered, -1 = held until the program runs */
  err: number
  /** signal: si_pid of the sender (0 = kernel or unknown) */
  sender: number
  /** reaped with details: starttime in clock ticks since boot (proc(5)) */
  start: number
  /** CLOCK_MONOTONIC in ns when the handler ran */
  atNs: number
  /** reaped with details: the command name (comm), else '' */
  comm: string
}

export const EVENT_REAPED = 1
export const EVENT_SIGNAL = 2
/** job control: the program stopped (pid; status = the stop signal), and the
 * addon stopped our process group after it */
export const EVENT_STOPPED = 3

export interface SpawnResult {
  pid: number
  /** set when exec failed: 1 setpgid, 2 tcsetpgrp, 3 exec */
  step?: number
  errno?: number
  message?: string
  /** argv came from /proc/self/cmdline, byte for byte */
  argvExact?: boolean
  /** env came from /proc/self/environ, byte for byte (env null) */
  envExact?: boolean
}

export interface NativeBinding {
  setup(): { sigrtmin: number; sigrtmax: number; clockTicks: number }
  /** fn runs on the event loop after the handlers recorded events (uv_async) */
  onWake(fn: () => void): void
  /** what is known about every open descriptor (src/inherited-fds.ts decides) */
  fdFacts(): FdFacts
  /** no more wake-ups: the loop may end */
  stopWake(): void
  setPolicy(map: Int32Array, toGroup: boolean, details: boolean): void
  installHandlers(signals: number[]): void
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
  /** env null: the environment exactly as exec(2) gave it to the init
   * (/proc/self/environ; Node's edited environ without /proc); keepFds lose
   * close-on-exec in the child; exactArgv: argv's bytes from the tail of
   * /proc/self/cmdline (JS strings cannot carry invalid UTF-8); listenPid: a LISTEN_PID
   * naming the init names the program instead (socket activation) */
  spawn(
    argv: string[],
    env: string[] | null,
    newGroup: boolean,
    takeTty: boolean,
    keepFds?: number[],
    exactArgv?: boolean,
    listenPid?: boolean,
  ): SpawnResult
  /** on: the program stopping stops our process group, SIGCONT hands the
   * terminal back to the program and continues its group */
  setJobControl(on: boolean): void
  drain(): NativeEvent[]
  reapNow(): number
  stats(): { reaped: number; forwarded: number; dropped: number; childPid: number; childStatus: number }
  kill(pid: number, signal: number): number
  setSubreaper(): void
  isSubreaper(): boolean
  setParentDeathSignal(signal: number): void
  ttyInfo(): { isatty: number; foreground: number; pgrp: number; pid: number; sid: number; parentSid: number }
  /** tcsetpgrp(0, pgrp): 0 or errno */
  giveTerminal(pgrp: number): number
  /** _exit(2) at once: process.exit() joins the thread pool, which hangs
   * while a pool thread is blocked writing to a stderr nobody reads */
  exitNow(code: number): never
}
