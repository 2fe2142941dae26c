/**
 * A small, dependency-free reader for Linux /proc (see proc(5)).
 *
 * Design rules:
 *  - Every reader returns `null` instead of throwing when a file cannot be
 *    read: processes vanish between readdir() and open()/read() (ENOENT,
 *    ESRCH), and non-root users may be denied (EACCES, EPERM, or invisible
 *    entries with `hidepid=`). Scanning /proc is inherently racy; callers
 *    treat `null` as "skip this one".
 *  - Parsers are pure functions over strings so they can be unit-tested with
 *    fixtures; readers take an optional `procRoot` (default "/proc") so a fake
 *    tree can be used in tests.
 *  - Synchronous fs calls only: this is used from PID 1, where keeping the
 *    event loop simple matters more than throughput, and /proc reads never
 *    block on I/O.
 */
import * as fs from 'fs'
import * as path from 'path'

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
export function clockTicks(): number {
  return (defaultTicks ??= auxvClockTicks() ?? 100)
}
let defaultTicks: number | undefined

/** This machine's byte order (what os.endianness() says, without loading
 * node:os at start-up). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** AT_CLKTCK from an auxiliary vector (getauxval(3); <elf.h>: AT_CLKTCK = 17):
 * pairs of native-endian words, the pointer size wide, ending in AT_NULL. */
export function parseAuxvClockTicks(buf: Buffer, wordBytes = 8, littleEndian = LITTLE_ENDIAN): number | null {
  const AT_NULL = 0
  const AT_CLKTCK = 17
  const word = (off: number): number => {
    if (wordBytes === 4) return littleEndian ? buf.readUInt32LE(off) : buf.readUInt32BE(off)
    return Number(littleEndian ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off))
  }
  for (let off = 0; off + 2 * wordBytes <= buf.length; off += 2 * wordBytes) {
    const type = word(off)
    if (type === AT_NULL) break
    if (type === AT_CLKTCK) {
      const v = word(off + wordBytes)
      return v > 0 ? v : null
    }
  }
  return null
}

/** This process's AT_CLKTCK (see clockTicks), or null when unreadable. */
export function auxvClockTicks(procRoot: string = PROC_ROOT): number | null {
  const b = readProcFile(path.join(procRoot, 'self', 'auxv'))
  const wordBytes = /64|s390x/.test(process.arch) ? 8 : 4 // unsigned long (x32 is not a Node target)
  return b === null ? null : parseAuxvClockTicks(b, wordBytes)
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
  /** Foreground process group of the controlling terminal, -1 without one (field 8). */
  tpgid: number
  /** Kernel PF_* flags (field 9). */
  flags: number
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
export function parseStat(text: string): ProcStat | null {
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
    tpgid: f(8),
    flags: f(9),
    numThreads: f(20),
    starttime: f(22),
  }
  if (!/^[A-Za-z]$/.test(st.state)) return null
  if (![st.ppid, st.pgrp, st.session, st.tpgid, st.numThreads, st.starttime].every(Number.isFinite)) return null
  return st
}

/** Parsed fields of /proc/PID/status that we care about. */
export interface ProcStatus {
  /** Name: as printed by the kernel (control characters escaped, e.g. "\n"). */
  name: string | null
  /** State letter (first character of "State:"). */
  state: string | null
  ppid: number | null
  /** Real, effective, saved, filesystem UIDs. */
  uid: [number, number, number, number] | null
  threads: number | null
  /** Signal masks as 64-bit (or wider) bit sets; bit (N-1) is signal N. */
  sigBlk: bigint | null
  sigIgn: bigint | null
  sigCgt: bigint | null
  sigPnd: bigint | null
  shdPnd: bigint | null
  /** NSpid: the pid in each PID namespace, outermost (ours) first, the
   * process's own namespace last. Null before Linux 4.1. */
  nsPid: number[] | null
  /** All raw "Key:\tvalue" pairs. */
  raw: Record<string, string>
}

/** Parse a hexadecimal signal mask such as "0000000000010002" into a bigint. */
export function parseSigMask(hex: string): bigint | null {
  const h = hex.trim()
  if (!/^[0-9a-fA-F]+$/.test(h)) return null
  return BigInt('0x' + h)
}

/** Does a /proc signal mask contain signal `signo`? (Signal N is bit N-1, see proc(5).) */
export function maskHas(mask: bigint | null | undefined, signo: number): boolean {
  if (mask === null || mask === undefined || signo < 1) return false
  return ((mask >> BigInt(signo - 1)) & 1n) === 1n
}

/** List the signal numbers present in a mask, ascending. */
export function signalsInMask(mask: bigint | null | undefined): number[] {
  const out: number[] = []
  if (mask === null || mask === undefined) return out
  let m = mask
  let signo = 1
  while (m > 0n) {
    if (m & 1n) out.push(signo)
    m >>= 1n
    signo++
  }
  return out
}

function nsPids(v: string | undefined): number[] | null {
  if (v === undefined) return null
  const l = v.trim().split(/\s+/).map(Number)
  return l.length > 0 && l.every(Number.isInteger) ? l : null
}

/** Parse the contents of /proc/PID/status. Unknown or missing keys are null. */
export function parseStatus(text: string): ProcStatus {
  const raw: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    raw[line.slice(0, i)] = line.slice(i + 1).replace(/^[ \t]+/, '')
  }
  const int = (k: string): number | null => {
    const v = raw[k]
    if (v === undefined) return null
    const n = Number(v.trim().split(/\s+/)[0])
    return Number.isInteger(n) ? n : null
  }
  const mask = (k: string): bigint | null => (raw[k] === undefined ? null : parseSigMask(raw[k]))
  let uid: ProcStatus['uid'] = null
  if (raw.Uid !== undefined) {
    const u = raw.Uid.trim().split(/\s+/).map(Number)
    if (u.length >= 4 && u.every(Number.isInteger)) uid = [u[0], u[1], u[2], u[3]]
  }
  return {
    name: raw.Name ?? null,
    state: raw.State !== undefined ? raw.State.trim().charAt(0) || null : null,
    ppid: int('PPid'),
    uid,
    threads: int('Threads'),
    sigBlk: mask('SigBlk'),
    sigIgn: mask('SigIgn'),
    sigCgt: mask('SigCgt'),
    sigPnd: mask('SigPnd'),
    shdPnd: mask('ShdPnd'),
    nsPid: nsPids(raw.NSpid),
    raw,
  }
}

/** Split /proc/PID/cmdline (NUL-separated, usually NUL-terminated) into argv. */
export function parseCmdline(buf: Buffer | string): string[] {
  // Trailing NULs are dropped as a run: a process that rewrote its title
  // (Node's process.title, setproctitle) pads the old argv area with NULs.
  // (Genuine trailing empty arguments are lost too; a fair trade.)
  const s = (typeof buf === 'string' ? buf : buf.toString('utf8')).replace(/\0+$/, '')
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

/** Target of /proc/PID/ns/NAME (e.g. "pid:[4026531836]"): processes in the
 * same namespace have the same one. Null when unreadable (a zombie has
 * dropped its namespaces; another user's process needs ptrace access). */
export function readNamespace(pid: number | 'self', ns: string, procRoot: string = PROC_ROOT): string | null {
  try {
    return fs.readlinkSync(path.join(procRoot, String(pid), 'ns', ns))
  } catch {
    return null
  }
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
