// The init's main loop, as policy over the addon's mechanism. Modelled on
// tini's main(): set up signals, spawn the program, then handle what the
// signal handlers report until the program has exited.
//
// The handlers in native/handlers.c forward and reap by themselves, so a
// busy or blocked event loop delays only the bookkeeping here (logs, exit),
// never a signal or a reap. They wake us (uv_async_send); we drain their ring.
import * as fs from 'node:fs'
import { cleansUpOnExit, type Config } from './cli'
import { formatDuration } from './duration'
import { decodeWaitStatus, exitCodeFor, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_USAGE } from './exit-code'
import type { Logger } from './log'
import { Errno, SIGNAL_HELD, type NativeBinding, type NativeEvent, type ReapedEvent, type SignalEvent, type SpawnResult, type StoppedEvent } from './native'
import { jobControlWanted, shouldTakeTerminal } from './job-control'
import { inheritedFds } from './inherited-fds'
import { forwardingMap } from './rewrite'
import { forwardedSignals, IGNORED_SIGNALS, OWN_ACT_SIGNALS, signalName, type RtRange } from './signals'
import { realDeps, terminateTree } from './terminate'
import { setLongTimeout, type LongTimer } from './long-timer'

/** Exit code after --timeout fired (coreutils timeout(1) uses the same). */
export const EXIT_TIMEOUT = 124
const SIGTERM = 15
const SIGINT = 2

const REAPER_WARNING =
  "tini-ts is not running as PID 1 and isn't registered as a child subreaper.\n" +
  "Zombie processes will not be re-parented to tini-ts, so zombie reaping won't work.\n" +
  'To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER ' +
  'to register tini-ts as a child subreaper, or run tini-ts as PID 1.'

export class Supervisor {
  private rt: RtRange = { min: 34, max: 64 }
  private clockTicks = 100
  private programPid = 0
  private tookTerminal = false
  private ownPgrp = 0
  private finishing = false
  private timedOut = false
  private timer: LongTimer | undefined
  /** the --timeout termination, while it runs */
  private terminating: ReturnType<typeof terminateTree> | undefined
  private orphans = 0
  private forwarded = 0
  private done!: (code: number) => void
  /** descriptors handed to us that the program gets too (read before we open any) */
  private inherited: number[] = []
  /** what this run cannot do as tini would (no /proc, ...), said once at -v */
  private degraded: string[] = []

  constructor(
    private readonly cfg: Config,
    private readonly native: NativeBinding,
    private readonly log: Logger,
  ) {}

  /** Runs until the program (or pause mode) ends; resolves to the exit code. */
  run(): Promise<number> {
    const setupError = this.setUp()
    if (setupError !== undefined) return Promise.resolve(setupError)
    return new Promise((resolve) => {
      this.done = resolve
      this.start()
    })
  }

  /** Phase 1 (catatonit's "setup may bail"): anything failing here exits
   * before a program exists. */
  private setUp(): number | undefined {
    const { cfg, native, log } = this
    const inh = inheritedFds(native.fdFacts())
    this.inherited = inh.fds
    this.degraded.push(...inh.notes)
    const s = native.setup()
    this.rt = { min: s.sigrtmin, max: s.sigrtmax }
    this.clockTicks = s.clockTicks
    try {
      if (cfg.parentDeathSignal !== undefined) native.setParentDeathSignal(cfg.parentDeathSignal)
      if (cfg.subreaper) native.setSubreaper()
    } catch (e) {
      log.fatal('setup', (e as Error).message)
      return EXIT_USAGE
    }
    const details = cfg.warnOnReap || log.enabled('debug') || (cfg.logFormat === 'json' && log.enabled('info'))
    native.setPolicy(forwardingMap(cfg.rewrite, this.rt), cfg.killProcessGroup, details)
    // The handlers wake us through a uv_async_t on this loop: no timer, no
    // wake-up while nothing happens, and no node:net to load.
    native.onWake(() => this.onEvents(native.drain()))
    native.installHandlers(forwardedSignals(this.rt), [...IGNORED_SIGNALS], [...OWN_ACT_SIGNALS])
    return undefined
  }

  /** Phase 2: the program runs. From here on nothing may bring PID 1 down:
   * a bug in our JS is logged, and forwarding and reaping (in the addon's
   * handlers) carry on regardless. */
  private start(): void {
    const { cfg, native, log } = this
    const survive = (e: unknown) => log.fatal('internal', `internal error (continuing): ${(e as Error)?.stack ?? String(e)}`)
    process.on('uncaughtException', survive)
    process.on('unhandledRejection', survive)
    if (cfg.mode === 'pause') {
      this.reaperCheck()
      log.info('spawned', 'Pause mode: no program; reaping until SIGTERM or SIGINT', { pid: 0 })
      this.onEvents(native.drain())
      return
    }
    const tty = { ...native.ttyInfo(), pid: process.pid }
    this.ownPgrp = tty.pgrp
    const takeTty = shouldTakeTerminal(tty)
    // Before the spawn, so no stop of the program goes unseen.
    if (jobControlWanted(tty, takeTty)) native.setJobControl(true)
    // Socket activation: a LISTEN_PID naming us names the program (catatonit).
    let r: SpawnResult
    try {
      r = native.spawn({ argv: cfg.program, newGroup: true, takeTty, keepFds: this.inherited, exactArgv: true, listenPid: true })
    } catch (e) {
      // clone(2) itself failed (EAGAIN: the pids cgroup is full or
      // RLIMIT_NPROC is reached): one line, and tini's exit code for a
      // failed fork (1).
      const err = (e as { errno?: number }).errno
      const hint = err === Errno.EAGAIN ? ' (no process can be created: pids cgroup full, or RLIMIT_NPROC?)' : ''
      log.fatal('spawn-failed', `cannot start ${cfg.program[0]}: ${(e as Error).message}${hint}`, { program: cfg.program[0], errno: err })
      this.finish(EXIT_USAGE)
      return
    }
    if (!r.ok) {
      // The init's exit code is decided here, as tini does after execvp:
      // 127 when the program was not found, 126 for any other failure (the
      // child's own _exit code only shapes its wait status).
      const notFound = r.step === 'exec' && (r.errno === Errno.ENOENT || r.errno === Errno.ENOTDIR)
      const what = r.step === 'exec' ? `exec ${cfg.program[0]} failed` : `${r.step} failed`
      log.fatal('spawn-failed', `${what}: ${r.message}`, { program: cfg.program[0], errno: r.errno })
      this.finish(notFound ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE)
      return
    }
    this.programPid = r.pid
    this.tookTerminal = takeTty
    // Logged after the spawn: the program need not wait for pino to load.
    this.reaperCheck()
    this.reportDegraded(r)
    log.info('spawned', `Spawned child process '${cfg.program[0]}' with pid '${r.pid}'`, { pid: r.pid, argv: cfg.program })
    if (cfg.timeoutMs !== undefined) {
      this.timer = setLongTimeout(() => void this.onTimeout(), cfg.timeoutMs)
    }
    this.onEvents(native.drain())
  }

  /** One line on what this run could not do as tini would (issue 10, items 6-8). */
  private reportDegraded(r: { argvExact: boolean; envExact: boolean }): void {
    const notes = [...this.degraded]
    if (r.argvExact === false) {
      // Only JS strings were left: invalid UTF-8 became U+FFFD. Say so always
      // when that changed an argument; otherwise at -v.
      const mangled = this.cfg.program.some((a) => a.includes('\uFFFD'))
      const msg = 'no /proc/self/cmdline: the program\'s arguments were passed as UTF-8 text' + (mangled ? ' (invalid bytes became U+FFFD)' : '')
      if (mangled) this.log.warn('degraded', msg)
      else notes.push(msg)
    }
    if (r.envExact === false) notes.push('no /proc/self/environ: the environment was passed as the runtime left it (without NODE_UNIQUE_ID, NODE_CHANNEL_FD)')
    if (this.livedUnknown) notes.push('no /proc: reaped processes are logged without name and age; --cleanup and --timeout reach only the program\'s process group')
    if (notes.length) this.log.info('degraded', `running without parts of /proc: ${notes.join('; ')}`, { notes })
  }

  private livedUnknown = !fs.existsSync('/proc/self/stat')

  private reaperCheck(): void {
    if (process.pid !== 1 && !this.native.isSubreaper()) this.log.warn('reaper-check', REAPER_WARNING)
  }

  private onEvents(events: NativeEvent[]): void {
    // tini logs this at -vvv for each SIGCHLD it handles (its ci/run_build.sh
    // greps for it); here, once per batch that reaped something.
    if (this.log.enabled('debug') && events.some((ev) => ev.type === 'reaped' || ev.type === 'programExited')) this.log.debug('sigchld', 'Received SIGCHLD')
    for (const ev of events) {
      switch (ev.type) {
        case 'reaped':
          this.onReaped(ev)
          break
        case 'stopped':
          this.onStopped(ev)
          break
        case 'signal':
          this.onSignal(ev)
          break
        case 'programExited':
          // Exactly once per program (the addon keeps it apart from the ring,
          // which a storm may overflow).
          if (this.programPid > 0 && !this.finishing) void this.onProgramExit(ev.status)
          break
      }
    }
  }

  private onReaped(ev: ReapedEvent): void {
    this.orphans++
    const level = this.cfg.warnOnReap ? 'warn' : 'debug'
    if (!this.log.enabled(level)) return
    // Text lines carry only the message: the fields (and the /proc/uptime
    // read for livedMs) are built for JSON only. Per reaped orphan, in a storm.
    let fields: Record<string, unknown> | undefined
    if (this.log.format === 'json') {
      fields = { pid: ev.pid, comm: ev.comm || undefined, ...decodeWaitStatus(ev.status) }
      if (ev.start > 0) fields.livedMs = this.livedMs(ev.start)
    }
    const msg = `Reaped zombie process with pid=${ev.pid}${ev.comm ? ` (${ev.comm})` : ''}`
    this.log.log(level, 'reaped', msg, fields)
  }

  private onStopped(ev: StoppedEvent): void {
    const name = signalName(ev.signal, this.rt)
    this.log.debug('stopped', `Child stopped by '${name}': stopping tini-ts's job too (job control)`, { pid: ev.pid, signal: name })
  }

  private livedMs(startTicks: number): number | undefined {
    try {
      const uptime = Number(fs.readFileSync('/proc/uptime', 'latin1').split(' ')[0])
      return Math.max(0, Math.round((uptime - startTicks / this.clockTicks) * 1000))
    } catch {
      return undefined
    }
  }

  private onSignal(ev: SignalEvent): void {
    const name = signalName(ev.signal, this.rt)
    const sentAs = ev.sentAs === 0 ? 'dropped' : signalName(ev.sentAs, this.rt)
    const fields = { signal: name, sentAs, target: ev.target, sender: ev.sender }
    if (this.cfg.mode === 'pause') {
      if (ev.signal === SIGTERM || ev.signal === SIGINT) {
        this.log.info('exited', `Received ${name} in pause mode: exiting`, { signal: name })
        this.finish(0)
      }
      return
    }
    if (ev.err === 0) {
      if (ev.sentAs !== 0) this.forwarded++
      this.log.debug('forwarded', ev.sentAs === 0 ? `Dropped signal '${name}' (--rewrite)` : `Passed signal '${name}'${ev.sentAs !== ev.signal ? ` as '${sentAs}'` : ''}`, fields)
    } else if (ev.err === SIGNAL_HELD) {
      this.log.debug('forwarded', `Holding signal '${name}' until the program runs`, fields)
    } else if (ev.err === Errno.ESRCH) {
      this.log.warn('forwarded', `Child was dead when forwarding signal '${name}'`, { ...fields, errno: ev.err })
    } else {
      this.log.warn('forwarded', `Forwarding signal '${name}' failed: errno ${ev.err}`, { ...fields, errno: ev.err })
    }
  }

  private async onTimeout(): Promise<void> {
    if (this.finishing) return
    this.timedOut = true
    const { cfg, log } = this
    log.warn('timeout', `Program still running after ${formatDuration(cfg.timeoutMs as number)}: terminating it and its descendants`, {
      timeoutMs: cfg.timeoutMs,
      graceMs: cfg.graceMs,
    })
    this.terminating = this.terminateDescendants()
    const r = await this.terminating
    log.info('terminated', `Terminated ${r.termed} process(es), killed ${r.killed}`, { ...r })
    // The program's reap (it is our child) ends the run via onProgramExit.
    this.onEvents(this.native.drain())
  }

  /** The program has been reaped: reap what is already dead, clean up if
   * asked, then exit with its status. */
  private async onProgramExit(status: number): Promise<void> {
    this.finishing = true
    this.timer?.clear()
    const { cfg, native, log } = this
    this.reapNow()
    const end = decodeWaitStatus(status)
    if (end.signal !== undefined) {
      log.info('exited', `Main child exited with signal (with signal '${signalName(end.signal, this.rt)}')`, { pid: this.programPid, signal: signalName(end.signal, this.rt) })
    } else {
      log.info('exited', `Main child exited normally (with status '${end.code}')`, { pid: this.programPid, code: end.code })
    }
    // Back to our group, but only from the program: after `bg` the shell has
    // the terminal, and taking it (SIGTTOU is ignored) would leave the shell
    // unable to read.
    if (this.tookTerminal && native.ttyInfo().foreground === this.programPid) native.giveTerminal(this.ownPgrp)
    if (this.terminating) await this.terminating // --timeout's own pass
    if (cleansUpOnExit(cfg, process.pid === 1) || this.timedOut) {
      const r = await this.terminateDescendants()
      if (r.termed > 0) log.info('cleanup', `Cleaned up ${r.termed} remaining process(es), killed ${r.killed}`, { ...r })
      this.reapNow()
    }
    this.finish(this.timedOut ? EXIT_TIMEOUT : exitCodeFor(end, cfg.remapToZero))
  }

  /** Reap what is dead now, and account for it. */
  private reapNow(): void {
    this.native.reapNow()
    this.onEvents(this.native.drain())
  }

  /** Every descendant of ours, and the program's process group: TERM, then
   * KILL after the grace period (--timeout, --cleanup). */
  private terminateDescendants(): ReturnType<typeof terminateTree> {
    return terminateTree(process.pid, [this.programPid], this.cfg.graceMs, realDeps((p, s) => this.native.kill(p, s)))
  }

  private finish(code: number): void {
    const st = this.native.stats()
    this.log.info('summary', `Exiting with ${code}: ${this.orphans} orphan(s) reaped, ${this.forwarded} signal(s) forwarded`, {
      code,
      orphansReaped: this.orphans,
      signalsForwarded: this.forwarded,
      eventsDropped: st.dropped,
    })
    this.native.stopWake()
    this.done(code)
  }
}
