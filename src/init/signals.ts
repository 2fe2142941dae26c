// Signal tables: names <-> numbers (standard and real-time), and which
// signals an init forwards. Pure data and parsing; no side effects.

/** glibc's SIGRTMIN/SIGRTMAX on Linux (34/64: glibc keeps 32 and 33 for
 * itself). The addon reports the real values at run time. */
export interface RtRange {
  min: number
  max: number
}
export const DEFAULT_RT: RtRange = { min: 34, max: 64 }

/** The standard signals of Linux on every architecture tini-ts ships for
 * (x64, arm64: the kernel's generic numbering), names and order as Node's
 * os.constants.signals lists them (test/unit/init/signals.test.ts compares the
 * two). Written out rather than read from node:os, which is not loaded at
 * start-up otherwise: loading it cost about 0.7 ms of the init's start-up. */
const LINUX_SIGNALS: readonly (readonly [string, number])[] = [
  ['SIGHUP', 1], ['SIGINT', 2], ['SIGQUIT', 3], ['SIGILL', 4], ['SIGTRAP', 5], ['SIGABRT', 6], ['SIGIOT', 6], ['SIGBUS', 7],
  ['SIGFPE', 8], ['SIGKILL', 9], ['SIGUSR1', 10], ['SIGSEGV', 11], ['SIGUSR2', 12], ['SIGPIPE', 13], ['SIGALRM', 14],
  ['SIGTERM', 15], ['SIGCHLD', 17], ['SIGSTKFLT', 16], ['SIGCONT', 18], ['SIGSTOP', 19], ['SIGTSTP', 20], ['SIGTTIN', 21],
  ['SIGTTOU', 22], ['SIGURG', 23], ['SIGXCPU', 24], ['SIGXFSZ', 25], ['SIGVTALRM', 26], ['SIGPROF', 27], ['SIGWINCH', 28],
  ['SIGIO', 29], ['SIGPOLL', 29], ['SIGPWR', 30], ['SIGSYS', 31],
]

const STANDARD: Record<string, number> = Object.fromEntries(LINUX_SIGNALS)

/** The signals the init itself sends or waits for, by name: their numbers
 * are written once, in LINUX_SIGNALS. */
export const { SIGTERM, SIGKILL, SIGCONT, SIGINT } = STANDARD as Record<'SIGTERM' | 'SIGKILL' | 'SIGCONT' | 'SIGINT', number>

/** Canonical name of a standard signal (first name Node lists for it). */
const CANONICAL = new Map<number, string>()
for (const [name, num] of Object.entries(STANDARD)) {
  if (!CANONICAL.has(num)) CANONICAL.set(num, name)
}
// Prefer the usual names over Node's aliases.
for (const [name, num] of [['SIGABRT', 6], ['SIGCHLD', 17], ['SIGIO', 29], ['SIGSYS', 31]] as const) {
  if (STANDARD[name] === num) CANONICAL.set(num, name)
}

/** Signals never forwarded: SIGCHLD is the init's own business, SIGKILL and
 * SIGSTOP cannot be caught, the synchronous faults are about the init itself
 * (tini leaves the same set unblocked), and SIGTTIN/SIGTTOU are ignored so a
 * background init never stops on its terminal (tini does the same). */
const NOT_FORWARDED = new Set(
  ['SIGCHLD', 'SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGSYS', 'SIGABRT', 'SIGTTIN', 'SIGTTOU'].map(
    (n) => STANDARD[n],
  ),
)

/** Set to SIG_IGN in the init (tini does the same): the kernel sends these
 * only to the group doing terminal I/O from the background, which is ours
 * only for our own log writes and tcsetpgrp calls; caught, a tcsetpgrp from
 * the background would be restarted forever. When they stop the program, its
 * stop is what job control follows. */
export const IGNORED_SIGNALS: readonly number[] = [STANDARD.SIGTTIN, STANDARD.SIGTTOU]

/** Forwarded signals the kernel raises on the init for its own act: SIGPIPE
 * after a write to a pipe nobody reads (a log line), SIGXFSZ past
 * RLIMIT_FSIZE. They are about the init, not the program: the handler drops
 * them when the init itself is the sender, and the write fails with
 * EPIPE/EFBIG instead. The same signals sent by anyone else are forwarded. */
export const OWN_ACT_SIGNALS: readonly number[] = [STANDARD.SIGPIPE, STANDARD.SIGXFSZ]

/** Every signal the init catches and forwards, standard then real-time. */
export function forwardedSignals(rt: RtRange = DEFAULT_RT): number[] {
  const out: number[] = []
  for (let s = 1; s <= 31; s++) if (!NOT_FORWARDED.has(s)) out.push(s)
  for (let s = rt.min; s <= rt.max; s++) out.push(s)
  return out
}

export function signalName(num: number, rt: RtRange = DEFAULT_RT): string {
  const std = CANONICAL.get(num)
  if (std) return std
  if (num >= rt.min && num <= rt.max) {
    const fromMin = num - rt.min
    const fromMax = rt.max - num
    if (fromMin === 0) return 'SIGRTMIN'
    if (fromMax === 0) return 'SIGRTMAX'
    return fromMin <= fromMax ? `SIGRTMIN+${fromMin}` : `SIGRTMAX-${fromMax}`
  }
  return `signal ${num}`
}

/**
 * Parses a signal given by name (`SIGTERM`, `TERM`, `sigterm`), real-time name
 * (`SIGRTMIN+3`, `RTMAX-1`) or number (`15`). Returns undefined when it names
 * no signal.
 */
export function parseSignal(spec: string, rt: RtRange = DEFAULT_RT): number | undefined {
  const s = spec.trim()
  if (/^\d+$/.test(s)) {
    const n = Number(s)
    return (n >= 1 && n <= 31) || (n >= rt.min && n <= rt.max) ? n : undefined
  }
  const up = s.toUpperCase()
  const name = up.startsWith('SIG') ? up : `SIG${up}`
  if (name in STANDARD) return STANDARD[name]
  const m = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name)
  if (m) {
    const off = m[3] === undefined ? 0 : Number(m[3])
    let n: number
    if (m[1] === 'MIN') n = m[2] === '-' ? NaN : rt.min + off
    else n = m[2] === '+' ? NaN : rt.max - off
    return n >= rt.min && n <= rt.max ? n : undefined
  }
  return undefined
}
