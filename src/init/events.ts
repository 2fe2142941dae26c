// What the addon's handlers report, turned into log lines, counters and the
// few things the supervisor waits for. The handlers forward and reap by
// themselves (native/handlers.c); they wake us through a uv_async_t
// (native.onWake) and we drain their ring here, so a busy event loop delays
// only this bookkeeping, never a signal or a reap.
import type { Config } from '../cli/cli'
import { decodeWaitStatus } from './exit-code'
import type { Logger } from './log'
import { Errno, SIGNAL_HELD, type NativeBinding, type NativeEvent, type ProgramExitedEvent, type ReapedEvent, type SignalEvent, type StoppedEvent } from '../runtime/native'
import { processAgeSeconds, readUptime } from '../lib/proc'
import { signalName, type RtRange } from './signals'

/** The start of an orphan's reap line (the addon may write it, see listen). */
const REAPED = 'Reaped zombie process with pid='

/** A promise with its resolver, settled at most once. */
class Once<T> {
  readonly promise: Promise<T>
  private settle!: (v: T) => void
  done = false
  constructor() {
    this.promise = new Promise((r) => (this.settle = r))
  }
  resolve(v: T): void {
    if (this.done) return
    this.done = true
    this.settle(v)
  }
}

export class Events {
  /** signals passed on to the program (not dropped, not failed) */
  forwarded = 0
  private readonly exit = new Once<ProgramExitedEvent>()
  private readonly signalWaiters: { want: (ev: SignalEvent) => boolean; got: Once<SignalEvent> }[] = []

  constructor(
    private readonly cfg: Pick<Config, 'warnOnReap' | 'mode'>,
    private readonly native: NativeBinding,
    private readonly log: Logger,
    private readonly rt: RtRange,
    private readonly clockTicks: number,
  ) {}

  /** Every wake-up of the handlers drains their ring into handle(). An
   * orphan's reap is an event only when a line is logged for it (-w, -vv):
   * otherwise the addon only counts it, and JS is not woken per orphan in a
   * storm. With -w in text format the addon writes those lines itself (the
   * fixed line this class would write), so JS is woken only for the rest. */
  listen(): void {
    const level = this.cfg.warnOnReap ? 'warn' : 'debug'
    const logged = this.log.enabled(level)
    // JSON lines carry the orphan's age too; text lines only its name
    this.native.setReapEvents(logged, this.log.format === 'text')
    // -vv (debug) also logs "Received SIGCHLD" per batch: that needs the events here
    if (logged && !this.log.enabled('debug')) this.log.delegateLines(level, REAPED)
    this.native.onWake(() => this.drain())
  }

  /** Handles what the handlers recorded so far (also after reapNow). */
  drain(): void {
    this.handle(this.native.drain())
  }

  /** Reaps what is dead now, and accounts for it. */
  reapNow(): void {
    this.native.reapNow()
    this.drain()
  }

  /** Resolves once, when the program has been reaped (the addon reports it
   * exactly once, apart from the ring, so no storm can lose it). */
  programExit(): Promise<ProgramExitedEvent> {
    return this.exit.promise
  }

  /** Resolves with the first signal from now on that `want` accepts. */
  nextSignal(want: (ev: SignalEvent) => boolean): Promise<SignalEvent> {
    const got = new Once<SignalEvent>()
    this.signalWaiters.push({ want, got })
    return got.promise
  }

  private handle(events: NativeEvent[]): void {
    // tini logs this at debug (-vv) for each SIGCHLD it handles (its ci/run_build.sh
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
          this.exit.resolve(ev)
          break
      }
    }
  }

  private onReaped(ev: ReapedEvent): void {
    const level = this.cfg.warnOnReap ? 'warn' : 'debug'
    if (!this.log.enabled(level)) return
    // Text lines carry only the message: the fields (and the /proc/uptime
    // read for livedMs) are built for JSON only. Per reaped orphan, in a storm.
    let fields: Record<string, unknown> | undefined
    if (this.log.format === 'json') {
      fields = { pid: ev.pid, comm: ev.comm || undefined, ...decodeWaitStatus(ev.status) }
      if (ev.start > 0) fields.livedMs = this.livedMs(ev.start)
    }
    const msg = `${REAPED}${ev.pid}${ev.comm ? ` (${ev.comm})` : ''}`
    this.log.log(level, 'reaped', msg, fields)
  }

  private onStopped(ev: StoppedEvent): void {
    const name = signalName(ev.signal, this.rt)
    this.log.debug('stopped', `Child stopped by '${name}': stopping tini-ts's job too (job control)`, { pid: ev.pid, signal: name })
  }

  private livedMs(startTicks: number): number | undefined {
    const age = processAgeSeconds(startTicks, { uptime: readUptime(), clockTicks: this.clockTicks })
    return age === null ? undefined : Math.round(age * 1000)
  }

  private onSignal(ev: SignalEvent): void {
    for (const w of this.signalWaiters) if (w.want(ev)) w.got.resolve(ev)
    // Pause mode runs no program: nothing is forwarded, nothing to report.
    if (this.cfg.mode === 'pause') return
    const name = signalName(ev.signal, this.rt)
    const sentAs = ev.sentAs === 0 ? 'dropped' : signalName(ev.sentAs, this.rt)
    const fields = { signal: name, sentAs, target: ev.target, sender: ev.sender }
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
}
