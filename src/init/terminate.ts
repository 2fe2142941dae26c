// Terminates a whole process tree: SIGTERM to every member, again to any that
// appear while we wait (forks), SIGKILL after the grace period to whatever is
// left, until nothing is left. Zombies count as gone: the addon's reaper takes
// those that are our children, and a zombie of a live member disappears when
// that member dies. Used by --timeout and --cleanup.
//
// Only processes provably ours are signalled: src/init/tree-handles.ts finds the
// members and ties each signal to the process found (a pidfd), so a pid that
// was reaped and handed to a stranger mid-termination is not reached.
import { Errno, type NativeBinding } from '../runtime/native'
import { readStat } from '../lib/proc'
import { scanProcesses } from './process-tree'
import { SIGCONT, SIGKILL, SIGTERM } from './signals'
import { TreeHandles, type Member, type TreeOps } from './tree-handles'

export interface TerminateDeps {
  ops: TreeOps
  sleep(ms: number): Promise<void>
}

export interface TerminateResult {
  termed: number
  killed: number
  /** members still alive when we gave up (should be 0) */
  survivors: number
}

const POLL_MS = 20
/** After SIGKILL, how long to wait for the kernel to finish them. */
const KILL_WAIT_MS = 2000

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** The system's side: /proc (this namespace's only) and the addon. */
export const realDeps = (native: NativeBinding): TerminateDeps => ({
  ops: {
    scan: () => scanProcesses(true),
    stat: (pid) => readStat(pid),
    pidfdOpen: (pid) => native.pidfdOpen(pid),
    pidfdSignal: (fd, sig) => native.pidfdSignal(fd, sig),
    pidfdClose: (fd) => native.pidfdClose(fd),
    killChild: (pid, sig, group) => native.killChild(pid, sig, group),
    killGroup: (pgid, sig) => native.killGroup(pgid, sig),
  },
  sleep: sleepMs,
})

/**
 * Terminates the tree below `root` (the init). `program` is the program's
 * pid: its group counts while the program or another member is in it.
 */
export async function terminateTree(root: number, program: number, graceMs: number, deps: TerminateDeps): Promise<TerminateResult> {
  const tree = new TreeHandles(root, program, deps.ops)
  try {
    return await run(tree, program, graceMs, deps)
  } finally {
    tree.close()
  }
}

async function run(tree: TreeHandles, program: number, graceMs: number, deps: TerminateDeps): Promise<TerminateResult> {
  const { ops } = deps
  const live = () => tree.find().filter((p) => p.state !== 'Z' && p.state !== 'X')
  const termed = new Set<string>()
  const killed = new Set<string>()
  const deadline = Date.now() + graceMs
  // Without /proc (not mounted, or hidden) the scan sees nothing, not even
  // us: then the program's process group is all we can reach (a shell's
  // `cmd &` stays in it), and only while a child of ours is in it (the
  // program, or, as a subreaper, a member re-parented to us): the group then
  // never emptied, so its id is still the program's (killGroup checks that
  // with reaping held). Probed with signal 0.
  const blind = ops.scan().length === 0
  const groupLeft = () => blind && ops.killGroup(program, 0) === 0
  if (blind) {
    ops.killGroup(program, SIGTERM)
    ops.killGroup(program, SIGCONT)
  }
  const done = (members: Member[], left: boolean) => members.length === 0 && !left
  for (;;) {
    const members = live()
    if (done(members, groupLeft())) return { termed: termed.size, killed: killed.size, survivors: 0 }
    for (const p of members) {
      if (termed.has(p.key)) continue
      // ESRCH: gone, or (without pidfds) not reachable until re-parented
      // to us; then it is tried again on a later pass.
      if (tree.signal(p, SIGTERM) === Errno.ESRCH) continue
      termed.add(p.key)
      tree.signal(p, SIGCONT) // a stopped process would never see SIGTERM
    }
    if (Date.now() >= deadline) break
    await deps.sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())))
  }
  const killDeadline = Date.now() + KILL_WAIT_MS
  for (;;) {
    const members = live()
    const left = groupLeft()
    if (done(members, left)) return { termed: termed.size, killed: killed.size, survivors: 0 }
    if (Date.now() >= killDeadline) return { termed: termed.size, killed: killed.size, survivors: members.length + (left ? 1 : 0) }
    for (const p of members) if (tree.signal(p, SIGKILL) !== Errno.ESRCH) killed.add(p.key)
    if (left) ops.killGroup(program, SIGKILL)
    await deps.sleep(POLL_MS / 4)
  }
}
