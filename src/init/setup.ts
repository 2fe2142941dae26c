// Phase 1 of a run (catatonit's "setup may bail"): everything that may fail
// before a program exists. Each failure is a SetupError naming what failed;
// the supervisor turns it into one log line and the exit code, in one place.
import { terminatesTree, type Config } from '../cli/cli'
import { Events } from './events'
import { inheritedFds } from './inherited-fds'
import type { Logger } from './log'
import type { OwnedSignals } from '../runtime/early-signals'
import { forwardingMap } from '../cli/rewrite'
import { EXIT_FAILURE } from './exit-code'
import type { RtRange } from './signals'

type SetupStep = 'fds' | 'prctl' | 'handlers'

/** Set-up could not complete: nothing was started. */
export class SetupError extends Error {
  readonly exitCode = EXIT_FAILURE // tini exits 1 for any failure before its child runs
  constructor(
    readonly kind: SetupStep,
    message: string,
  ) {
    super(message)
    this.name = 'SetupError'
  }
}

export interface Prepared {
  rt: RtRange
  clockTicks: number
  /** descriptors handed to us that the program gets too (read before we open any) */
  inherited: number[]
  /** what this run cannot do as tini would (no /proc, ...), said once at -v */
  degraded: string[]
  events: Events
}

/** Runs `fn`; any error becomes a SetupError of `kind` (prefix: what failed). */
function step<T>(kind: SetupStep, prefix: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    throw new SetupError(kind, prefix + msg)
  }
}

/** Throws SetupError only. */
export function setUp(cfg: Config, signals: OwnedSignals, log: Logger, isPid1 = process.pid === 1): Prepared {
  const { native, rt, clockTicks } = signals
  // First: no descriptor of ours may exist yet among those we read.
  const inh = step('fds', 'cannot list the inherited descriptors: ', () => inheritedFds(native.fdFacts()))
  // prctl(2) PR_SET_PDEATHSIG / PR_SET_CHILD_SUBREAPER: the addon's message
  // names the call and the errno.
  step('prctl', '', () => {
    if (cfg.parentDeathSignal !== undefined) native.setParentDeathSignal(cfg.parentDeathSignal)
    if (cfg.subreaper) native.setSubreaper()
  })
  // --timeout and --cleanup make us a subreaper too (PID 1 is one already):
  // a descendant that double-forks and calls setsid is then re-parented to
  // us, not to the container's init, and the termination finds it. Not asked
  // for by -s, so a refusal (qemu-user rejects the prctl) is one warning,
  // not a failed start.
  if (!cfg.subreaper && !isPid1 && terminatesTree(cfg)) {
    try {
      native.setSubreaper()
    } catch (e) {
      log.warn('degraded', `cannot become a child subreaper (${(e as Error).message}): --timeout and --cleanup miss descendants re-parented elsewhere`)
    }
  }
  const events = new Events(cfg, native, log, rt, clockTicks)
  // The handlers are installed already (src/runtime/early-signals.ts); what
  // they forward, and how, is decided now that the options are known.
  step('handlers', 'cannot set the signal policy: ', () => {
    const details = cfg.warnOnReap || log.enabled('debug') || (cfg.logFormat === 'json' && log.enabled('info'))
    native.setPolicy(forwardingMap(cfg.rewrite, rt), cfg.killProcessGroup, details)
    // The handlers wake us through a uv_async_t on this loop: no timer, no
    // wake-up while nothing happens, and no node:net to load.
    events.listen()
  })
  return { rt, clockTicks, inherited: inh.fds, degraded: [...inh.notes], events }
}
