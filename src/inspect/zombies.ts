/**
 * `--zombies [--json]`: list every zombie in the current PID namespace, group
 * them by the parent that leaks them, and say whether PID 1 looks like a
 * reaper.
 *
 * Exit code: 0 when there is no zombie, 1 when there is at least one (so it
 * can be used as a probe or CI check), 2 when /proc cannot be scanned at all.
 * Zombies reaped within RECHECK_MS of being seen are transient and not counted.
 *
 * Only reads /proc (see src/lib/proc.ts); works as any user: whatever is not
 * readable is skipped, and processes vanishing mid-scan are expected.
 * Output goes through `out` (default: fs.writeSync(1)); this module never
 * touches process.stdout/stderr or console (see the note in runZombies).
 */
import * as fs from 'fs'
import * as path from 'path'
import {
  PROC_ROOT,
  SIGCHLD,
  listPids,
  maskHas,
  procSelfPid,
  processAgeSeconds,
  readBootTime,
  readCmdline,
  readStat,
  readStatus,
  readUptime,
} from '../lib/proc'
import { base, identifyInit, OWN_CHILDREN_ONLY, SHELLS } from './init-identity'
import { formatZombieText, safe } from './zombie-format'
import {
  ADOPTED_GRACE_SECONDS,
  RECHECK_MS,
  type ParentGroup,
  type Pid1Report,
  type ZombieEntry,
  type ZombieReport,
} from './zombie-types'


function round2(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100
}

function assessPid1(procRoot: string, zombies: ZombieEntry[], recheckMs: number): Pid1Report {
  const stat = readStat(1, procRoot)
  const status = readStatus(1, procRoot)
  const argv = readCmdline(1, procRoot)
  const comm = stat?.comm ?? status?.name ?? null
  const knownInit = comm === null && argv === null ? null : identifyInit(comm, argv, path.join(procRoot, '1'))
  const catchesSigchld = maskHas(status?.sigCgt, SIGCHLD)
  const ignoresSigchld = maskHas(status?.sigIgn, SIGCHLD)
  const blocksSigchld = maskHas(status?.sigBlk, SIGCHLD)
  const who = `PID 1 (${safe(comm)})`
  const a0 = argv && argv.length > 0 ? base(argv[0]) : ''
  const prog = comm ?? a0

  let looksLikeReaper: boolean
  let verdict: string
  if (stat === null && status === null) {
    looksLikeReaper = false
    verdict = 'unknown: /proc/1 is not readable (hidepid= mount option, or /proc from another namespace?)'
  } else if (knownInit !== null) {
    looksLikeReaper = true
    verdict = `yes: ${who} is ${knownInit}, an init that reaps the orphans it adopts`
  } else if (ignoresSigchld) {
    looksLikeReaper = true
    verdict = `yes: ${who} ignores SIGCHLD, so the kernel reaps its children automatically (their exit statuses are lost)`
  } else if (catchesSigchld && (OWN_CHILDREN_ONLY.has(prog) || OWN_CHILDREN_ONLY.has(a0))) {
    looksLikeReaper = false
    verdict =
      `no: ${who} catches SIGCHLD but, as a ${prog} runtime, only waits for the processes it spawned itself; ` +
      'orphans re-parented to it stay zombies. Run it under an init (tini-ts --, tini, dumb-init, docker --init)'
  } else if (catchesSigchld && (SHELLS.has(prog) || SHELLS.has(a0))) {
    looksLikeReaper = true
    verdict =
      `probably: ${who} is a shell; it catches SIGCHLD and reaps any child while it waits for its own jobs, ` +
      'but it is not an init: it does not forward signals, and stops reaping once it exec()s or exits'
  } else if (catchesSigchld) {
    looksLikeReaper = true
    verdict =
      `probably: ${who} is not an init we know, but it catches SIGCHLD; /proc cannot show whether its handler ` +
      'also waits for adopted orphans'
  } else if (blocksSigchld) {
    looksLikeReaper = true
    verdict =
      `probably: ${who} is not an init we know, but it blocks SIGCHLD, as inits using signalfd()/sigwaitinfo() do`
  } else {
    looksLikeReaper = false
    verdict =
      `no: ${who} is not an init we know and neither catches nor ignores SIGCHLD: children it adopts ` +
      'will stay zombies. Run your program under an init (tini-ts --, tini, dumb-init, docker --init)'
  }

  // Evidence beats heuristics: zombie children of PID 1 that are not transient.
  // With a re-check, every reported zombie already survived it; with a single
  // scan we only trust processes started at least ADOPTED_GRACE_SECONDS ago.
  const adopted = zombies.filter((z) => z.ppid === 1)
  const stale =
    recheckMs > 0 ? adopted : adopted.filter((z) => z.ageSeconds === null || z.ageSeconds >= ADOPTED_GRACE_SECONDS)
  if (stale.length > 0) {
    looksLikeReaper = false
    const pids = stale.map((z) => z.pid).join(', ')
    const why = recheckMs > 0 ? `still unreaped after ${recheckMs}ms` : `started over ${ADOPTED_GRACE_SECONDS}s ago`
    verdict =
      `no: ${who} has ${stale.length} zombie child${stale.length === 1 ? '' : 'ren'} ${why} ` +
      `(pid ${pids}): it is not reaping` +
      (knownInit !== null ? ` even though it looks like ${knownInit} (stopped? stuck? not really PID 1's init?)` : '')
  } else if (adopted.length > 0 && looksLikeReaper) {
    verdict += `; ${adopted.length} recent zombie child${adopted.length === 1 ? '' : 'ren'} of PID 1 may still be reaped`
  }
  if (stat?.state === 'T' || stat?.state === 't') verdict += '; note: PID 1 is stopped, it cannot reap anything now'

  return {
    pid: 1,
    comm,
    argv,
    knownInit,
    catchesSigchld,
    ignoresSigchld,
    blocksSigchld,
    looksLikeReaper,
    verdict,
  }
}

interface Scan {
  zombies: Array<ZombieEntry & { starttime: number }>
  comms: Map<number, string>
  /** pids of processes that are not zombies */
  live: Set<number>
  scanned: number
  /** Thread-group leaders in state Z whose other threads still run. */
  leaders: number
}

function scanOnce(procRoot: string): Scan {
  const uptime = readUptime(procRoot)
  const clock = { uptime, btime: uptime === null ? readBootTime(procRoot) : null }
  const scan: Scan = { zombies: [], comms: new Map(), live: new Set(), scanned: 0, leaders: 0 }
  for (const pid of listPids(procRoot)) {
    const st = readStat(pid, procRoot)
    if (st === null) continue // vanished or unreadable
    scan.scanned++
    scan.comms.set(pid, st.comm)
    if (st.state !== 'Z') {
      scan.live.add(pid)
      continue
    }
    // A thread-group leader that called pthread_exit() shows as Z while its
    // other threads still run: not a reapable zombie.
    if (st.numThreads > 1) {
      scan.leaders++
      continue
    }
    scan.zombies.push({
      pid,
      ppid: st.ppid,
      parentComm: null,
      comm: st.comm,
      ageSeconds: round2(processAgeSeconds(st.starttime, clock)),
      session: st.session,
      starttime: st.starttime,
    })
  }
  return scan
}

/** Where and how --zombies looks. The defaults are the command's; the unit
 * tests point it at a fake /proc. */
export interface ZombieScan {
  /** Default "/proc". */
  procRoot?: string
  /** Our PID, to detect a /proc from another PID namespace. Default process.pid. */
  selfPid?: number
  /** The re-check's delay (default RECHECK_MS); 0 scans once, and then a
   * zombie of PID 1 counts as evidence once ADOPTED_GRACE_SECONDS old. */
  recheckMs?: number
}

/**
 * Scan twice, `recheckMs` apart, and report only the zombies present in both
 * scans (same pid and start time): a zombie whose parent reaps it within
 * that time is normal, not a leak, and must not make a probe flap. Zombies
 * of PID 1 that survive the re-check are taken as proof that PID 1 does not
 * reap.
 */
async function collectReport(opts: ZombieScan): Promise<ZombieReport> {
  const procRoot = opts.procRoot ?? PROC_ROOT
  const recheckMs = opts.recheckMs ?? RECHECK_MS
  const first = scanOnce(procRoot)
  if (first.zombies.length === 0 || recheckMs <= 0) return buildReport(procRoot, first, opts, 0, 0)
  await new Promise((resolve) => setTimeout(resolve, recheckMs))
  const second = scanOnce(procRoot)
  const key = (z: { pid: number; starttime: number }): string => `${z.pid}:${z.starttime}`
  const before = new Set(first.zombies.map(key))
  const after = new Set(second.zombies.map(key))
  const kept = second.zombies.filter((z) => before.has(key(z)))
  const transient = first.zombies.filter((z) => !after.has(key(z))).length
  return buildReport(procRoot, { ...second, zombies: kept }, opts, recheckMs, transient)
}

function buildReport(procRoot: string, scan: Scan, opts: ZombieScan, recheckMs: number, transient: number): ZombieReport {
  const notes: string[] = []
  const selfPid = procSelfPid(procRoot)
  const myPid = opts.selfPid ?? process.pid
  if (selfPid !== null && selfPid !== myPid) {
    notes.push(
      `${procRoot} belongs to another PID namespace (/proc/self is ${selfPid}, we are ${myPid}); ` +
        'the report describes that namespace. Mount a fresh proc (unshare --mount-proc) to inspect ours.',
    )
  }
  const { comms, scanned, leaders } = scan
  const zombies: ZombieEntry[] = scan.zombies.map(({ starttime: _ignored, ...z }) => z)
  if (leaders > 0) {
    notes.push(`${leaders} process(es) whose main thread exited while other threads run show state Z; not counted as zombies`)
  }
  if (transient > 0) {
    notes.push(`${transient} short-lived zombie(s) were reaped by their parent within ${recheckMs}ms; not counted`)
  }

  const groups = new Map<number, ZombieEntry[]>()
  for (const z of zombies) {
    if (z.ppid > 0) {
      // Prefer the comm read during the scan; re-read if the parent was not seen.
      z.parentComm = comms.get(z.ppid) ?? readStat(z.ppid, procRoot)?.comm ?? null
    }
    const g = groups.get(z.ppid)
    if (g) g.push(z)
    else groups.set(z.ppid, [z])
  }

  const pid1 = assessPid1(procRoot, zombies, recheckMs)
  const leftovers = probeLeftovers(zombies, scan, procRoot)
  if (pid1.comm === null && pid1.argv === null && scanned > 0) {
    notes.push(
      `PID 1 is not visible to us: ${procRoot} is probably mounted with hidepid=, so other users' processes ` +
        `(and their zombies) are hidden; only ${scanned} visible process${scanned === 1 ? ' was' : 'es were'} scanned. Run as root for a complete picture`,
    )
  }
  const pid1Name = `PID 1 (${safe(pid1.comm)})`
  const pid1Reaps = pid1.verdict.startsWith('unknown')
    ? 'and whether PID 1 reaps them is unknown'
    : pid1.looksLikeReaper
      ? 'and PID 1 looks like a reaper'
      : 'and PID 1 does NOT look like a reaper'

  const byParent: ParentGroup[] = []
  for (const [ppid, zs] of groups) {
    const parentStat = ppid > 0 ? readStat(ppid, procRoot) : null
    const ages = zs.map((z) => z.ageSeconds).filter((a): a is number => a !== null)
    const grp: ParentGroup = {
      ppid,
      parentComm: zs[0].parentComm,
      parentCmdline: ppid > 0 ? readCmdline(ppid, procRoot) : null,
      parentState: parentStat?.state ?? null,
      count: zs.length,
      pids: zs.map((z) => z.pid).sort((a, b) => a - b),
      oldestAgeSeconds: ages.length > 0 ? Math.max(...ages) : null,
      reaper: ppid === 1 ? 'pid1' : ppid === 0 ? 'outside-namespace' : 'parent',
      probeLeftovers: ppid === 1 ? leftovers : 0,
      advice: '',
    }
    const n = `${zs.length} zombie${zs.length === 1 ? '' : 's'}`
    if (ppid === 0) {
      grp.advice = `${n} whose parent is outside this PID namespace; only that parent can reap them`
    } else if (ppid === 1) {
      grp.advice =
        `${pid1Name} is the parent of ${n} (orphans it adopted, or its own children) and must reap them` +
        (pid1.looksLikeReaper ? '' : '; it does not: run an init such as tini-ts as PID 1')
      if (leftovers > 0) {
        grp.advice +=
          `. ${leftovers === zs.length ? (zs.length === 1 ? 'It was' : 'All were') : `${leftovers} of them were`} left by ` +
          "commands exec'd into the container (their sessions are not PID 1's), as exec probes leave them: " +
          'or wrap each probe: tini-ts -s --timeout 400ms --grace 200ms -- <probe> (timeoutSeconds: 1)'
      }
    } else {
      const who = `pid ${ppid} (${safe(grp.parentComm)})`
      grp.advice =
        `${who} leaks ${n}: it must wait() for its children (or ignore SIGCHLD). ` +
        (grp.parentState === 'T' || grp.parentState === 't' ? 'It is stopped right now. ' : '') +
        `If it exits they are re-parented to the nearest child subreaper, or else to ${pid1Name}, ${pid1Reaps}`
    }
    byParent.push(grp)
  }
  byParent.sort((a, b) => b.count - a.count || a.ppid - b.ppid)
  zombies.sort((a, b) => a.pid - b.pid)

  return { zombies, byParent, pid1, count: zombies.length, scanned, notes }
}

/**
 * How many of PID 1's zombies an exec from outside the container left behind
 * (a probe, `kubectl exec`, `docker exec`), told from their sessions, where
 * that can be told (credentials(7): a session is inherited across fork and
 * exec; only setsid() starts one):
 * - `runc exec` (under docker, containerd, podman, CRI-O) makes each command
 *   a session leader. A zombie of PID 1 whose session is neither PID 1's nor
 *   its own, and whose leader is gone, is no child PID 1 forked (those start
 *   in PID 1's session or lead their own): it was adopted from such a
 *   session. PID 1's own tree could have made one too (a child that called
 *   setsid() and died); so if any session led by a live descendant of PID 1
 *   other than PID 1's own is to be seen, nothing is told.
 * - `nsenter` without setsid: session 0 (its leader is outside the
 *   namespace), which PID 1's own children can only have if PID 1 has it too.
 * Otherwise 0, and the advice stays as it was.
 */
function probeLeftovers(zombies: ZombieEntry[], scan: Scan, procRoot: string): number {
  const pid1 = readStat(1, procRoot)
  if (pid1 === null) return 0
  const stats = new Map<number, { ppid: number; session: number }>()
  for (const pid of scan.live) {
    const st = readStat(pid, procRoot)
    if (st !== null) stats.set(pid, st)
  }
  const byParent = new Map<number, number[]>()
  for (const [pid, st] of stats) {
    const l = byParent.get(st.ppid)
    if (l) l.push(pid)
    else byParent.set(st.ppid, [pid])
  }
  const descendants = new Set<number>()
  const todo = [...(byParent.get(1) ?? [])]
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    descendants.add(pid)
    todo.push(...(byParent.get(pid) ?? []))
  }
  // A live session leader below PID 1, other than PID 1's session: PID 1's
  // tree starts sessions, and a dead one of them could explain the zombies.
  for (const pid of descendants) {
    const s = stats.get(pid)?.session ?? -1
    if (s !== pid1.session && descendants.has(s)) return 0
  }
  return zombies.filter((z) => {
    if (z.ppid !== 1) return false
    if (z.session === 0) return pid1.session !== 0
    return z.session !== pid1.session && z.session !== z.pid && !scan.live.has(z.session)
  }).length
}
/** Write all of `s` to fd 1 synchronously, tolerating partial writes and EAGAIN (non-blocking pipes). */
function writeStdout(s: string): void {
  let buf = Buffer.from(s, 'utf8')
  let spins = 0
  while (buf.length > 0) {
    try {
      const n = fs.writeSync(1, buf)
      buf = buf.subarray(n)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EAGAIN' && spins++ < 100000) continue
      if (code === 'EPIPE') return // reader went away; nothing useful to do
      throw e
    }
  }
}

/**
 * Entry point for `--zombies [--json]`. Returns the exit code: 0 no zombie,
 * 1 zombies found, 2 /proc could not be scanned. When the first scan finds
 * zombies, it scans again RECHECK_MS later and reports only those still
 * there (see collectReport), so the exit code does not flap
 * on zombies that their parent was about to reap.
 *
 * Output goes only through `out` (default: fs.writeSync(1, ...)). We never
 * touch process.stdout/stderr or console: creating those streams on a TTY
 * makes Node install its own SIGWINCH handling, which would replace the
 * init's native signal handler.
 */
export async function runZombies(opts: { json: boolean; out?: (s: string) => void } & ZombieScan): Promise<number> {
  const out = opts.out ?? writeStdout
  const report = await collectReport(opts)
  if (report.scanned === 0) {
    const msg = `cannot scan ${opts.procRoot ?? PROC_ROOT}: no readable process entries (is proc mounted?)`
    out(opts.json ? JSON.stringify({ error: msg, zombies: [], byParent: [], pid1: report.pid1, count: 0 }) + '\n' : `error: ${msg}\n`)
    return 2
  }
  out(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatZombieText(report))
  return report.count > 0 ? 1 : 0
}
