// --zombies' report: what it finds, as data (the --json document).

/**
 * Single scan only: a zombie child of PID 1 started at least this long ago is
 * taken as proof that PID 1 is not reaping.
 */
export const ADOPTED_GRACE_SECONDS = 5

/** runZombies re-checks after this long: zombies reaped meanwhile were transient, not leaks. */
export const RECHECK_MS = 250

export interface ZombieEntry {
  pid: number
  ppid: number
  /** comm of the parent; null if the parent is unreadable, gone, or outside this PID namespace (ppid 0). */
  parentComm: string | null
  /** comm of the zombie (its cmdline is empty once it has exited). */
  comm: string
  /** Seconds since the zombie process was started (not since it exited: the kernel does not record that). */
  ageSeconds: number | null
  /** Session id, as this namespace sees it (0: the session's leader is outside it). */
  session: number
}

export interface ParentGroup {
  ppid: number
  parentComm: string | null
  /** argv of the parent, or null when unreadable. */
  parentCmdline: string[] | null
  /** State letter of the parent (S, R, T, ...), or null. */
  parentState: string | null
  count: number
  pids: number[]
  oldestAgeSeconds: number | null
  /** Who is expected to reap these zombies right now. */
  reaper: 'parent' | 'pid1' | 'outside-namespace'
  /** Zombies of PID 1 that an exec from outside left behind, told by their
   * session (see probeLeftovers); 0 for other parents. */
  probeLeftovers: number
  advice: string
}

export interface Pid1Report {
  pid: 1
  /** comm of PID 1, or null if /proc/1 is not readable. */
  comm: string | null
  argv: string[] | null
  /** Canonical name of a known init (e.g. "tini", "tini-ts", "dumb-init"), or null. */
  knownInit: string | null
  /** SIGCHLD is in SigCgt (a handler is installed). */
  catchesSigchld: boolean
  /** SIGCHLD is in SigIgn: the kernel auto-reaps PID 1's children. */
  ignoresSigchld: boolean
  /** SIGCHLD is in SigBlk (typical of signalfd-based inits). */
  blocksSigchld: boolean
  looksLikeReaper: boolean
  /** Starts with "yes:", "probably:", "no:" or "unknown:", followed by the reason. */
  verdict: string
}

export interface ZombieReport {
  zombies: ZombieEntry[]
  byParent: ParentGroup[]
  pid1: Pid1Report
  count: number
  /** Number of /proc/PID entries we could read. */
  scanned: number
  /** Caveats about this scan (foreign /proc, hidden entries, exited thread-group leaders, ...). */
  notes: string[]
}
