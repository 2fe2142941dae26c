// A real pids cgroup for the fault tier: cgroup v2 (pids enabled in the root's
// subtree_control) where the host has it, else the v1 pids hierarchy. Both
// have pids.max and cgroup.procs with the same meaning (Documentation/
// admin-guide/cgroup-v2.rst, "PID"; cgroup-v1/pids.rst).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function pidsRoot(): string | undefined {
  const v2 = '/sys/fs/cgroup'
  try {
    if (readFileSync(join(v2, 'cgroup.controllers'), 'latin1').split(/\s+/).includes('pids')) {
      const sub = join(v2, 'cgroup.subtree_control')
      if (!readFileSync(sub, 'latin1').split(/\s+/).includes('pids')) writeFileSync(sub, '+pids')
      return v2
    }
  } catch {
    /* not v2, or not allowed */
  }
  const v1 = '/sys/fs/cgroup/pids'
  return existsSync(join(v1, 'cgroup.procs')) ? v1 : undefined
}

/** Why pids cgroups cannot be used here, or undefined when they can. */
export function pidsCgroupUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root'
  return pidsRoot() ? undefined : 'no pids cgroup controller (v2 or v1) is mounted'
}

export interface PidsCgroup {
  dir: string
  /** prefix for a command: the shell puts itself in the cgroup, then execs it */
  wrap(argv: string[]): string[]
  procs(): number[]
  current(): number
  /** SIGKILL whatever is left, then remove the cgroup */
  remove(): Promise<void>
}

let seq = 0

export function makePidsCgroup(max: number): PidsCgroup {
  const root = pidsRoot()
  if (!root) throw new Error('no pids cgroup')
  const dir = join(root, `tini-ts-test-${process.pid}-${seq++}`)
  mkdirSync(dir)
  writeFileSync(join(dir, 'pids.max'), String(max))
  const procs = () =>
    readFileSync(join(dir, 'cgroup.procs'), 'latin1')
      .split('\n')
      .filter(Boolean)
      .map(Number)
  return {
    dir,
    wrap: (argv) => ['sh', '-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`, 'sh', ...argv],
    procs,
    current: () => Number(readFileSync(join(dir, 'pids.current'), 'latin1')),
    async remove() {
      for (let i = 0; i < 100; i++) {
        const left = procs()
        if (left.length === 0) break
        for (const p of left) {
          try {
            process.kill(p, 'SIGKILL')
          } catch {
            /* gone */
          }
        }
        await new Promise((r) => setTimeout(r, 50))
      }
      try {
        rmdirSync(dir)
      } catch {
        /* best effort */
      }
    },
  }
}
