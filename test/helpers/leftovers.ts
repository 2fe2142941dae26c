// "No test tier leaves a process running", checked. `npm test` runs tap under
// test/helpers/reaper.py, a child subreaper: whatever a test leaves running
// is re-parented to it instead of escaping to the machine's init. With
// tap's jobs: 1 one test file runs at a time, so at the last file of a tier
// (zz-leftovers.test.ts in each tier folder) every child of the reaper other
// than the runner's own chain (the reaper -> tap -> this file) is something
// an earlier file left behind. Each is named, then killed, so the next tier
// starts clean and the failure points at the tier that leaked.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { children, killTree, procStat, sleep, type ProcStat } from './tini'

/** The pids from `pid` up to the root, by parent link. */
export function ancestry(pid: number): number[] {
  const out: number[] = []
  for (let p: number | undefined = pid; p && p > 0 && !out.includes(p); p = procStat(p)?.ppid) out.push(p)
  return out
}

/** Children of `reaper` not in `exclude` (and not zombies about to be reaped). */
export function leftovers(reaper: number, exclude: number[]): ProcStat[] {
  return children(reaper).filter((c) => !exclude.includes(c.pid) && c.state !== 'Z')
}

export function describe(p: ProcStat): string {
  let cmd = p.comm
  try {
    cmd = readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim() || p.comm
  } catch {
    /* gone */
  }
  return `${p.pid} ${cmd}`
}

/** Waits up to graceMs for what is still exiting, then returns what is left. */
export async function settledLeftovers(reaper: number, exclude: number[], graceMs = 5000): Promise<ProcStat[]> {
  const deadline = Date.now() + graceMs
  let left = leftovers(reaper, exclude)
  while (left.length && Date.now() < deadline) {
    await sleep(50)
    left = leftovers(reaper, exclude)
  }
  return left
}

/** The tier's last test: fails naming every process the tier left running. */
export function checkTier(tier: string): void {
  const reaper = Number(process.env.TINI_TS_TEST_REAPER)
  const skip = !(reaper > 0 && procStat(reaper)) && 'not run under test/helpers/reaper.py (`npm test` runs tap under it)'
  t.test(`the ${tier} tier left no process running`, { skip }, async (t) => {
    const left = await settledLeftovers(reaper, ancestry(process.pid))
    const named = left.map(describe)
    for (const p of left) killTree(p.pid)
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }
    t.same(named, [], `no process re-parented to the test reaper (${reaper}) by the ${tier} tier`)
  })
}
