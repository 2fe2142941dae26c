/**
 * A small, dependency-free reader for Linux /proc (see proc(5)).
 *
 * Design rules:
 *  - Every reader returns `null` instead of throwing when a file cannot be
 *    read: processes vanish between readdir() and open()/read() (ENOENT,
 *    ESRCH), and non-root users may be denied (EACCES, EPERM, or invisible
 *    entries with `hidepid=`). Scanning /proc is inherently racy; callers
 *    treat `null` as "skip this one".
 *  - Readers take an optional `procRoot` (default "/proc"), so the unit
 *    tests read a fake tree made of fixtures; the parsers behind them are
 *    private to this module.
 *  - Synchronous fs calls only: this is used from PID 1, where keeping the
 *    event loop simple matters more than throughput, and /proc reads never
 *    block on I/O.
 */
import * as fs from 'fs'
import * as path from 'path'
import { auxvValue } from './auxv'

export const PROC_ROOT = '/proc'

/**
 * Clock ticks per second of the time fields of /proc/PID/stat (utime, stime,
 * starttime, ...): proc(5), "starttime (22) ... expressed in clock ticks
 * (divide by sysconf(_SC_CLK_TCK))". Node has no sysconf() binding. The init
 * passes the addon's sysconf(_SC_CLK_TCK) (setup().clockTicks) to the
 * functions below; everyone else (--zombies, tests, tools) gets this
 * default: the AT_CLKTCK entry of /proc/self/auxv, the very value glibc's
 * sysconf(_SC_CLK_TCK) returns (getauxval(3)), read once, without spawning
 * `getconf CLK_TCK`. 100 (glibc's own fallback, and USER_HZ on every
 * architecture Linux supports for user space) when auxv is unreadable.
 */
export function clockTicks(procRoot: string = PROC_ROOT): number {
  if (procRoot !== PROC_ROOT) return auxvClockTicks(procRoot) ?? 100
  return (defaultTicks ??= auxvClockTicks(procRoot) ?? 100)
}
let defaultTicks: number | undefined

/** AT_CLKTCK of this process (<elf.h>: 17), or null when unreadable. */
function auxvClockTicks(procRoot: string): number | null {
  const AT_CLKTCK = 17
  const b = readProcFile(path.join(procRoot, 'self', 'auxv'))
  const v = b === null ? null : auxvValue(b, AT_CLKTCK)
  return v !== null && v > 0 ? v : null
}

/**
 * SIGCHLD's number (17 on x86, arm, arm64, ppc, s390, riscv; it differs on
 * mips/parisc/sparc/alpha, which tini-ts does not ship for).
 */
export const SIGCHLD = 17

/** Parsed fields of /proc/PID/stat that we care about. */
export interface ProcStat {
  pid: number
  /** Command name (task comm, at most 15 bytes; may contain spaces, ')' etc.). */
  comm: string
  /** One-letter state: R S D Z T t X I ... */
  state: string
  ppid: number
  pgrp: number
  session: number
  /** Number of threads (field 20). */
  numThreads: number
  /** Start time after boot, in clock ticks (field 22). */
  starttime: number
}

/**
 * Parse the contents of /proc/PID/stat.
 *
 * The second field is the comm in parentheses, and comm is arbitrary (up to
 * 15 bytes, set by exec's file name or prctl(PR_SET_NAME)): it may contain
 * spaces, '(' and ')', even newlines. No field after comm can contain ')',
 * so the comm ends at the LAST ')' in the line. Splitting on whitespace, or
 * searching for the first ')', both break on names such as "a) R 1 (b".
 *
 * Returns null if the text is not a valid stat line.
 */
function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return null
  const pid = Number(text.slice(0, open).trim())
  if (!Number.isInteger(pid) || pid < 0) return null
  const comm = text.slice(open + 1, close)
  // Fields after comm, starting at field 3 (state): rest[n - 3] is field n.
  const rest = text.slice(close + 1).trim().split(/\s+/)
  if (rest.length < 20) return null
  const f = (n: number): number => Number(rest[n - 3])
  const st: ProcStat = {
    pid,
    comm,
    state: rest[0],
    ppid: f(4),
    pgrp: f(5),
    session: f(6),
    numThreads: f(20),
    starttime: f(22),
  }
  if (!/^[A-Za-z]$/.test(st.state)) return null
  if (![st.ppid, st.pgrp, st.session, st.numThreads, st.starttime].every(Number.isFinite)) return null
  return st
}

/** Parsed fields of /proc/PID/status that we care about. */
interface ProcStatus {
  /** Name: as printed by the kernel (control characters escaped, e.g. "\n"). */
  name: string | null
  /** Signal masks as 64-bit (or wider) bit sets; bit (N-1) is signal N. */
  sigBlk: bigint | null
  sigIgn: bigint | null
  sigCgt: bigint | null
}

/** Parse a hexadecimal signal mask such as "0000000000010002" into a bigint. */
function parseSigMask(hex: string): bigint | null {
  const h = hex.trim()
  if (!/^[0-9a-fA-F]+$/.test(h)) return null
  return BigInt('0x' + h)
}

/** Does a /proc signal mask contain signal `signo`? (Signal N is bit N-1, see proc(5).) */
export function maskHas(mask: bigint | null | undefined, signo: number): boolean {
  if (mask === null || mask === undefined || signo < 1) return false
  return ((mask >> BigInt(signo - 1)) & 1n) === 1n
}

/** Parse the contents of /proc/PID/status. Unknown or missing keys are null. */
function parseStatus(text: string): ProcStatus {
  const raw: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    raw[line.slice(0, i)] = line.slice(i + 1).replace(/^[ \t]+/, '')
  }
  const mask = (k: string): bigint | null => (raw[k] === undefined ? null : parseSigMask(raw[k]))
  return { name: raw.Name ?? null, sigBlk: mask('SigBlk'), sigIgn: mask('SigIgn'), sigCgt: mask('SigCgt') }
}

/** Split /proc/PID/cmdline (NUL-separated, usually NUL-terminated) into argv. */
function parseCmdline(buf: Buffer): string[] {
  // Trailing NULs are dropped as a run: a process that rewrote its title
  // (Node's process.title, setproctitle) pads the old argv area with NULs.
  // (Genuine trailing empty arguments are lost too; a fair trade.)
  const s = buf.toString('utf8').replace(/\0+$/, '')
  return s.length === 0 ? [] : s.split('\0')
}

/** Read a /proc file; null on any error (vanished process, EACCES, hidepid, ...). */
function readProcFile(file: string): Buffer | null {
  try {
    return fs.readFileSync(file)
  } catch {
    return null
  }
}

function pidFile(pid: number | 'self', name: string, procRoot: string): string {
  return path.join(procRoot, String(pid), name)
}

export function readStat(pid: number | 'self', procRoot: string = PROC_ROOT): ProcStat | null {
  const b = readProcFile(pidFile(pid, 'stat', procRoot))
  return b === null ? null : parseStat(b.toString('utf8'))
}

export function readStatus(pid: number | 'self', procRoot: string = PROC_ROOT): ProcStatus | null {
  const b = readProcFile(pidFile(pid, 'status', procRoot))
  return b === null ? null : parseStatus(b.toString('utf8'))
}

/**
 * argv of a process, or null when unreadable. Zombies and kernel threads have
 * an empty cmdline ([]). Note that a process may rewrite its argv
 * (setproctitle), so this is informative only.
 */
export function readCmdline(pid: number | 'self', procRoot: string = PROC_ROOT): string[] | null {
  const b = readProcFile(pidFile(pid, 'cmdline', procRoot))
  return b === null ? null : parseCmdline(b)
}

/** Numeric entries of /proc (one per thread-group leader visible to us). */
export function listPids(procRoot: string = PROC_ROOT): number[] {
  let names: string[]
  try {
    names = fs.readdirSync(procRoot)
  } catch {
    return []
  }
  const pids: number[] = []
  for (const n of names) if (/^[1-9][0-9]*$/.test(n)) pids.push(Number(n))
  return pids.sort((a, b) => a - b)
}

/**
 * Seconds since boot, from the first field of /proc/uptime. This is the same
 * clock (CLOCK_BOOTTIME, adjusted for time namespaces) that starttime is
 * measured against, so `uptime - starttime / CLK_TCK` is the age of a
 * process without involving the wall clock.
 */
export function readUptime(procRoot: string = PROC_ROOT): number | null {
  const b = readProcFile(path.join(procRoot, 'uptime'))
  if (b === null) return null
  const n = Number(b.toString('utf8').trim().split(/\s+/)[0])
  return Number.isFinite(n) ? n : null
}

/** Boot time in seconds since the epoch ("btime" line of /proc/stat), or null. */
export function readBootTime(procRoot: string = PROC_ROOT): number | null {
  const b = readProcFile(path.join(procRoot, 'stat'))
  if (b === null) return null
  const m = /^btime\s+(\d+)\s*$/m.exec(b.toString('utf8'))
  return m ? Number(m[1]) : null
}

/**
 * Age in seconds of a process started `starttime` clock ticks after boot.
 * Prefers /proc/uptime; falls back to btime + wall clock (less precise: btime
 * has 1 s resolution and the wall clock can be stepped). Returns null if
 * neither is available. Never negative. `clockTicks` defaults to
 * clockTicks() (the init passes the addon's sysconf value).
 */
export function processAgeSeconds(
  starttime: number,
  clock: { uptime: number | null; btime?: number | null; nowMs?: number; clockTicks?: number } = { uptime: readUptime() },
): number | null {
  const started = starttime / (clock.clockTicks ?? clockTicks())
  let age: number | null = null
  if (clock.uptime !== null) age = clock.uptime - started
  else if (clock.btime !== undefined && clock.btime !== null) {
    age = (clock.nowMs ?? Date.now()) / 1000 - (clock.btime + started)
  }
  return age === null ? null : Math.max(0, age)
}

/** Is there a /proc with our own entry (not mounted, or masked, in some
 * containers and chroots)? */
export function procAvailable(procRoot: string = PROC_ROOT): boolean {
  return fs.existsSync(path.join(procRoot, 'self', 'stat'))
}

/**
 * The PID that /proc/self resolves to, i.e. our PID in the PID namespace
 * that mounted this /proc. If it differs from process.pid, the /proc we are
 * looking at belongs to another PID namespace (e.g. `unshare --pid` without
 * `--mount-proc`). Null if unreadable.
 */
export function procSelfPid(procRoot: string = PROC_ROOT): number | null {
  try {
    const n = Number(fs.readlinkSync(path.join(procRoot, 'self')))
    return Number.isInteger(n) ? n : null
  } catch {
    return null
  }
}
