// The init's main, as policy over the addon's mechanism. Reads like tini's
// main(): set up (may fail: one line, one exit code) -> spawn -> await the
// program's end or the deadline -> terminate once -> exit code.
//
// The handlers in native/handlers.c forward and reap by themselves, so a
// busy or blocked event loop delays only the bookkeeping here (logs, exit),
// never a signal or a reap. They wake us (uv_async_send); src/init/events.ts
// drains their ring and resolves what we wait for.
import { cleansUpOnExit, type Config } from '../cli/cli'
import { formatDuration } from '../lib/duration'
import type { Events } from './events'
import { decodeWaitStatus, exitCodeFor, EXIT_FAILURE, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_TIMEOUT } from './exit-code'
import { jobControlWanted, shouldTakeTerminal } from './job-control'
import type { Logger } from './log'
import { setLongTimeout } from './long-timer'
import type { OwnedSignals } from '../runtime/early-signals'
import { Errno, type NativeBinding, type SpawnResult } from '../runtime/native'
import { runPause } from './pause'
import { procAvailable } from '../lib/proc'
import { SetupError, setUp, type Prepared } from './setup'
import { SIGKILL, signalName } from './signals'
import { realDeps, terminateTree, type TerminateDeps, type TerminateResult } from './terminate'

const REAPER_WARNING =
  "tini-ts is not running as PID 1 and isn't registered as a child subreaper.\n" +
  "Zombie processes will not be re-parented to tini-ts, so zombie reaping won't work.\n" +
  'To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER ' +
  'to register tini-ts as a child subreaper, or run tini-ts as PID 1.'

/** What the supervisor takes from the process it runs in (tests replace it). */
export interface SupervisorDeps {
  pid: number
  /** /proc is there (names and ages of the reaped, the tree to terminate) */
  hasProc: boolean
  /** from the spawn on, errors that escape our JS must not end PID 1 */
  guard(survive: (e: unknown) => void): void
  /** how terminate.ts finds and signals the tree */
  treeDeps(native: NativeBinding): TerminateDeps
  /** true when this process surely has no child left (undefined: can't tell) */
  childless?(): boolean | undefined
}

const processDeps = (native: NativeBinding): SupervisorDeps => ({
  pid: process.pid,
  hasProc: procAvailable(),
  guard: (survive) => {
    process.on('uncaughtException', survive)
    process.on('unhandledRejection', survive)
  },
  treeDeps: realDeps,
  childless: () => native.childless(),
})

/** The program as started: what the end of the run needs. */
interface Started {
  pid: number
  tookTerminal: boolean
  ownPgrp: number
}

export class Supervisor {
  private readonly deps: SupervisorDeps
  private readonly native: NativeBinding

  constructor(
    private readonly cfg: Config,
    private readonly signals: OwnedSignals,
    private readonly log: Logger,
    deps: Partial<SupervisorDeps> = {},
  ) {
    this.native = signals.native
    this.deps = { ...processDeps(signals.native), ...deps }
  }

  /** Runs until the program (or pause mode) ends; resolves to the exit code. */
  async run(): Promise<number> {
    const { cfg, log } = this
    let env: Prepared
    try {
      env = setUp(cfg, this.signals, log, this.deps.pid === 1)
    } catch (e) {
      if (!(e instanceof SetupError)) throw e
      log.fatal('setup', e.message, { step: e.kind })
      return e.exitCode
    }
    // Phase 2: from here on nothing may bring PID 1 down: a bug in our JS is
    // logged, and forwarding and reaping (in the addon's handlers) carry on.
    this.deps.guard((e) => this.internalError('', e))
    if (cfg.mode === 'pause') {
      this.reaperCheck()
      return this.finish(await runPause(env.events, log, env.rt), env.events)
    }
    const started = this.spawn(env)
    if (typeof started === 'number') return this.finish(started, env.events)
    return this.finish(await this.supervise(started, env), env.events)
  }

  /** One line for a bug in our bookkeeping after the spawn: a message, never
   * a stack, and the run goes on (the program's status decides the exit). */
  private internalError(step: string, e: unknown): void {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]
    this.log.fatal('internal', `internal error${step ? ` in ${step}` : ''} (continuing): ${msg}`, { step })
  }

  /** Runs one step of bookkeeping after the spawn; a throw is logged (one
   * line) and yields undefined instead of ending the run. */
  private guarded<T>(step: string, fn: () => T): T | undefined {
    try {
      return fn()
    } catch (e) {
      this.internalError(step, e)
      return undefined
    }
  }

  /** guarded() for a step that awaits: a rejection is logged likewise. */
  private async guardedAsync<T>(step: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn()
    } catch (e) {
      this.internalError(step, e)
      return undefined
    }
  }

  /** Starts the program; its pid, or the init's exit code when it could not. */
  private spawn(env: Prepared): Started | number {
    const { cfg, native, log } = this
    const tty = { ...native.ttyInfo(), pid: this.deps.pid }
    const takeTty = shouldTakeTerminal(tty)
    // Before the spawn, so no stop of the program goes unseen.
    if (jobControlWanted(tty)) native.setJobControl(true)
    // Socket activation: a LISTEN_PID naming us names the program (catatonit).
    let r: SpawnResult
    try {
      r = native.spawn({ argv: cfg.program, newGroup: true, takeTty, keepFds: env.inherited, exactArgv: true, listenPid: true })
    } catch (e) {
      // clone(2) itself failed (EAGAIN: the pids cgroup is full or
      // RLIMIT_NPROC is reached): one line, and tini's exit code for a
      // failed fork (1).
      const err = (e as { errno?: number }).errno
      const hint = err === Errno.EAGAIN ? ' (no process can be created: pids cgroup full, or RLIMIT_NPROC?)' : ''
      log.fatal('spawn-failed', `cannot start ${cfg.program[0]}: ${(e as Error).message}${hint}`, { program: cfg.program[0], errno: err })
      return EXIT_FAILURE
    }
    if (!r.ok) {
      // The init's exit code is decided here, as tini does after execvp:
      // 127 when the program was not found, 126 for any other failure (the
      // child's own _exit code only shapes its wait status).
      const notFound = r.step === 'exec' && (r.errno === Errno.ENOENT || r.errno === Errno.ENOTDIR)
      const what = r.step === 'exec' ? `exec ${cfg.program[0]} failed` : `${r.step} failed`
      log.fatal('spawn-failed', `${what}: ${r.message}`, { program: cfg.program[0], errno: r.errno })
      return notFound ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE
    }
    // Logged after the spawn: the program need not wait for pino to load.
    const pid = r.pid
    this.guarded('start-up report', () => {
      this.reaperCheck()
      this.reportDegraded(r, env.degraded)
      log.info('spawned', `Spawned child process '${cfg.program[0]}' with pid '${pid}'`, { pid, argv: cfg.program })
    })
    return { pid: r.pid, tookTerminal: takeTty, ownPgrp: tty.pgrp }
  }

  /** Waits for the program's end or the deadline (then terminates the tree
   * once), cleans up if asked; the init's exit code. Every step after the
   * spawn but the wait itself is guarded: whatever fails in our bookkeeping,
   * the program's status (or 124 after --timeout) is the exit code. */
  private async supervise(p: Started, env: Prepared): Promise<number> {
    const { cfg, native, log } = this
    const { events } = env
    const ended = events.programExit()
    let over = false
    void ended.then(() => (over = true))
    let termination: Promise<TerminateResult | undefined> | undefined
    if (cfg.timeoutMs !== undefined) {
      const timeoutMs = cfg.timeoutMs
      let fire!: () => void
      const deadline = new Promise<'deadline'>((r) => (fire = () => r('deadline')))
      const timer = setLongTimeout(() => fire(), timeoutMs)
      this.guarded('events', () => events.drain()) // what arrived during set-up and the spawn
      const first = await Promise.race([ended, deadline])
      timer.clear()
      if (first === 'deadline') {
        log.warn('timeout', `Program still running after ${formatDuration(timeoutMs)}: terminating it and its descendants`, { timeoutMs, graceMs: cfg.graceMs })
        termination = this.guardedAsync('timeout termination', () => this.terminateTree(p.pid)).then((r) => {
          // The pass failed: the program, not yet reaped (its pid is still
          // its own), is killed so that the run ends all the same.
          if (r === undefined && !over) this.guarded('timeout kill', () => native.kill(p.pid, SIGKILL))
          return r
        })
      }
    } else {
      this.guarded('events', () => events.drain())
    }
    const { status } = await ended
    const end = decodeWaitStatus(status)
    this.guarded('exit report', () => {
      events.reapNow()
      if (end.signal !== undefined) {
        const name = signalName(end.signal, env.rt)
        log.info('exited', `Main child exited with signal (with signal '${name}')`, { pid: p.pid, signal: name })
      } else {
        log.info('exited', `Main child exited normally (with status '${end.code}')`, { pid: p.pid, code: end.code })
      }
    })
    this.guarded('terminal hand-back', () => this.giveTerminalBack(p))
    if (termination) {
      // --timeout's pass runs until the whole tree is gone: it is the one
      // termination of this run, cleanup included.
      const r = await termination
      this.guarded('timeout report', () => {
        if (r) log.info('terminated', `Terminated ${r.termed} process(es), killed ${r.killed}`, { ...r })
        events.reapNow()
      })
      return EXIT_TIMEOUT
    }
    await this.guardedAsync('cleanup', async () => {
      // As PID 1 or a subreaper every descendant left is re-parented to us:
      // with no child left there is no descendant, and the /proc scan (a few
      // ms per hundred processes on the machine) is skipped.
      const nothingLeft = (this.deps.pid === 1 || native.isSubreaper()) && this.deps.childless?.() === true
      if (cleansUpOnExit(cfg, this.deps.pid === 1) && !nothingLeft) {
        const r = await this.terminateTree(p.pid)
        if (r.termed > 0) log.info('cleanup', `Cleaned up ${r.termed} remaining process(es), killed ${r.killed}`, { ...r })
        events.reapNow()
      }
    })
    return exitCodeFor(end, cfg.remapToZero)
  }

  /** Back to our group, but only from the program: after `bg` the shell has
   * the terminal, and taking it (SIGTTOU is ignored) would leave the shell
   * unable to read. Not when our group lies outside our PID namespace (the
   * init of `unshare --pid --fork` on a terminal): getpgrp() reads 0 there,
   * a group we cannot name; whoever leads that terminal outside (the shell
   * that ran unshare) takes it back when its job ends. */
  private giveTerminalBack(p: Started): void {
    if (!p.tookTerminal || p.ownPgrp <= 0) return
    if (this.native.ttyInfo().foreground === p.pid) this.native.giveTerminal(p.ownPgrp)
  }

  /** Every descendant of ours (src/init/process-tree.ts says who counts): TERM,
   * then KILL after the grace period (--timeout, --cleanup). */
  private terminateTree(programPid: number): Promise<TerminateResult> {
    return terminateTree(this.deps.pid, programPid, this.cfg.graceMs, this.deps.treeDeps(this.native))
  }

  /** One line on what this run could not do as tini would. */
  private reportDegraded(r: { argvExact: boolean; envExact: boolean }, degraded: string[]): void {
    const notes = [...degraded]
    if (r.argvExact === false) {
      // Only JS strings were left: invalid UTF-8 became U+FFFD. Say so always
      // when that changed an argument; otherwise at -v.
      const mangled = this.cfg.program.some((a) => a.includes('\uFFFD'))
      const msg = 'no /proc/self/cmdline: the program\'s arguments were passed as UTF-8 text' + (mangled ? ' (invalid bytes became U+FFFD)' : '')
      if (mangled) this.log.warn('degraded', msg)
      else notes.push(msg)
    }
    if (r.envExact === false) notes.push('no /proc/self/environ: the environment was passed as the runtime left it (on the npm route Node removes NODE_UNIQUE_ID and NODE_CHANNEL_FD)')
    if (!this.deps.hasProc) notes.push('no /proc: reaped processes are logged without name and age; --cleanup and --timeout reach only the program\'s process group, while a child of ours is in it')
    if (notes.length) this.log.info('degraded', `running without parts of /proc: ${notes.join('; ')}`, { notes })
  }

  private reaperCheck(): void {
    if (this.deps.pid !== 1 && !this.native.isSubreaper()) this.log.warn('reaper-check', REAPER_WARNING)
  }

  private finish(code: number, events: Events): number {
    try {
      const st = this.native.stats()
      this.log.info('summary', `Exiting with ${code}: ${st.orphans} orphan(s) reaped, ${events.forwarded} signal(s) forwarded`, {
        code,
        orphansReaped: st.orphans,
        signalsForwarded: events.forwarded,
        eventsDropped: st.dropped,
      })
      this.native.stopWake()
    } catch (e) {
      this.internalError('summary', e)
    }
    return code
  }
}
