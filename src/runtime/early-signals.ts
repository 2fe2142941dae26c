// The first thing tini-ts does, before parsing its arguments or loading
// anything else: load the addon and install its signal handlers. Until then a signal gets the runtime's default: SIGTERM kills a
// non-PID-1 init, and as PID 1 the kernel drops it. From here on every
// signal is ours; one that comes before the program exists is held (the
// addon's pending_mask) and delivered once it runs, like tini, which blocks
// signals before it forks. The window that remains is Node's own start-up
// (README, "Hostile conditions").
//
// Kept small on purpose: esbuild evaluates this module's imports before
// main.ts's (src/entry.ts requires main lazily), so only the loader and the
// signal table run first.
import type { NativeBinding } from './native'
import { loadNative } from './native-loader'
import { forwardedSignals, IGNORED_SIGNALS, OWN_ACT_SIGNALS, type RtRange } from '../init/signals'

/** RLIMIT_NOFILE tini-ts needs with only stdio inherited (README, "Hostile
 * conditions"; each inherited descriptor adds one): Node's start-up opens
 * fds up to 19 (three libuv loops: epoll, io_uring, pipes, eventfd each);
 * below 20 it dies of SIGSEGV before any of our code runs (uv_loop_init's
 * EMFILE goes unchecked). Loading the addon takes one more. */
const MIN_NOFILE = 21

/** The signals, owned: the addon with its handlers installed, and what its
 * set-up reported. Made once, by takeSignals() in the entry, and passed down
 * through main() to the supervisor; nothing else installs the handlers, and
 * only main() releases them (the modes that run no program). */
export interface OwnedSignals {
  native: NativeBinding
  rt: RtRange
  clockTicks: number
}

export interface Early {
  signals?: OwnedSignals
  /** why the addon could not be loaded (reported once the CLI is parsed) */
  error?: Error
}

/** Sets the addon up and installs its handlers: the one place that does. */
function ownSignals(native: NativeBinding): OwnedSignals {
  const s = native.setup()
  const rt = { min: s.sigrtmin, max: s.sigrtmax }
  native.installHandlers(forwardedSignals(rt), [...IGNORED_SIGNALS], [...OWN_ACT_SIGNALS])
  return { native, rt, clockTicks: s.clockTicks }
}

let early: Early | undefined

/** The npm route runs on whatever Node is installed (>= 20, which lacks
 * --disable-sigusr1): a SIGUSR1 during Node's own start-up, before our
 * handler replaced Node's, makes Node open its inspector. Close it: now, and
 * once more after the first turn of the loop, where Node starts it. */
function closeInspector(): void {
  if (process.execArgv.includes('--disable-sigusr1')) return
  const close = () => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const inspector = require('node:inspector') as typeof import('node:inspector')
      if (inspector.url() !== undefined) inspector.close()
    } catch {
      /* a Node built without the inspector */
    }
  }
  close()
  setImmediate(close)
}
/** Idempotent: the entry (src/entry.ts) calls it first, main() reuses it. */
export function takeSignals(): Early {
  if (early) return early
  try {
    early = { signals: ownSignals(loadNative()) }
    closeInspector()
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e))
    early = { error }
    // Every way of loading it failed for want of a descriptor: say that, in
    // one line, rather than list paths that are all fine.
    if (/EMFILE|Too many open files/.test(error.message)) {
      early.error = new Error(`cannot load the native addon: too many open files (RLIMIT_NOFILE, ulimit -n, is below the ${MIN_NOFILE} tini-ts needs, plus one per inherited descriptor)`)
    }
  }
  return early
}
