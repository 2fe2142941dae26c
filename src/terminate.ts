// Terminates a whole process tree: SIGTERM to every member, again to any that
// appear while we wait (forks), SIGKILL after the grace period to whatever is
// left, until nothing is left. Zombies count as gone: the addon's reaper takes
// those that are our children, and a zombie of a live member disappears when
// that member dies. Used by --timeout and --cleanup.
import { descendants, scanProcesses, type ProcInfo } from './process-tree'

export interface TerminateDeps {
  /** kill(2): 0 or errno */
  kill(pid: number, signal: number): number
  /** the processes to consider now */
  scan(): ProcInfo[]
  sleep(ms: number): Promise<void>
}

export interface TerminateResult {
  termed: number
  killed: number
  /** members still alive when we gave up (should be 0) */
  survivors: number
}

const SIGTERM = 15
const SIGKILL = 9
const SIGCONT = 18
const POLL_MS = 20
/** After SIGKILL, how long to wait for the kernel to finish them. */
const KILL_WAIT_MS = 2000

export const realDeps = (kill: TerminateDeps['kill']): TerminateDeps => ({
  kill,
  scan: () => scanProcesses(true),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
})

export async function terminateTree(root: number, groups: number[], graceMs: number, deps: TerminateDeps): Promise<TerminateResult> {
  const live = () => descendants(deps.scan(), root, groups).filter((p) => p.state !== 'Z' && p.state !== 'X')
  const termed = new Set<number>()
  const killed = new Set<number>()
  const deadline = Date.now() + graceMs
  // Without /proc (not mounted, or hidden) the scan sees nothing, not even
  // us: then the program's process group is all we can reach, by kill(-pgrp)
  // (kill(2)); a shell's `cmd &` stays in it. Probed with signal 0: it
  // succeeds while any member, a zombie too, is left, so only here.
  const blind = deps.scan().length === 0
  const groupsLeft = () => blind && groups.some((g) => g > 0 && deps.kill(-g, 0) === 0)
  for (const g of blind ? groups : []) {
    if (g <= 0) continue
    deps.kill(-g, SIGTERM)
    deps.kill(-g, SIGCONT)
  }
  for (;;) {
    const members = live()
    if (members.length === 0 && !groupsLeft()) return { termed: termed.size, killed: killed.size, survivors: 0 }
    for (const p of members) {
      if (termed.has(p.pid)) continue
      termed.add(p.pid)
      deps.kill(p.pid, SIGTERM)
      deps.kill(p.pid, SIGCONT) // a stopped process would never see SIGTERM
    }
    if (Date.now() >= deadline) break
    await deps.sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())))
  }
  const killDeadline = Date.now() + KILL_WAIT_MS
  for (;;) {
    const members = live()
    const groupLeft = groupsLeft()
    if (members.length === 0 && !groupLeft) return { termed: termed.size, killed: killed.size, survivors: 0 }
    if (Date.now() >= killDeadline) return { termed: termed.size, killed: killed.size, survivors: members.length + (groupLeft ? 1 : 0) }
    for (const p of members) {
      killed.add(p.pid)
      deps.kill(p.pid, SIGKILL)
    }
    if (groupLeft) for (const g of groups) if (g > 0) deps.kill(-g, SIGKILL)
    await deps.sleep(POLL_MS / 4)
  }
}
