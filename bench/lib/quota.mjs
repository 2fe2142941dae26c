// Probes under a CPU limit: a cgroup with a 100m quota (10 ms of CPU per
// 100 ms) shared with a busy loop, as a Kubernetes exec probe shares its
// container's limit with a busy app. Probes of each contender interleaved,
// then the hung probe (--timeout/--grace) of tini-ts under the same quota.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { run, sleep } from './common.mjs'

export const QUOTA_US = 10000
export const PERIOD_US = 100000

/** Where a cpu cgroup can be made: v2 (cpu.max) or v1 (cpu.cfs_quota_us). */
export function cpuCgroupRoot() {
  const unified = '/sys/fs/cgroup'
  try {
    const ctl = fs.readFileSync(path.join(unified, 'cgroup.controllers'), 'utf8').split(/\s+/)
    if (ctl.includes('cpu')) return { v: 2, root: unified }
  } catch {}
  for (const d of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
    if (fs.existsSync(path.join(d, 'cpu.cfs_quota_us'))) return { v: 1, root: d }
  }
  return undefined
}

/** A cgroup of our own (a unique name, removed by close()) with the quota
 * and a busy loop in it. */
export class QuotaCgroup {
  constructor() {
    const where = cpuCgroupRoot()
    if (!where) throw new Error('no cpu cgroup controller (v1 cpu.cfs_quota_us or v2 cpu.max) to limit')
    this.v = where.v
    this.dir = path.join(where.root, `tini-ts-bench-${process.pid}-${Date.now().toString(36)}`)
    if (this.v === 2) {
      // the cpu controller must be on for the root's children
      const sub = path.join(where.root, 'cgroup.subtree_control')
      if (!fs.readFileSync(sub, 'utf8').split(/\s+/).includes('cpu')) fs.writeFileSync(sub, '+cpu')
    }
    fs.mkdirSync(this.dir)
    try {
      if (this.v === 2) fs.writeFileSync(path.join(this.dir, 'cpu.max'), `${QUOTA_US} ${PERIOD_US}`)
      else {
        fs.writeFileSync(path.join(this.dir, 'cpu.cfs_period_us'), String(PERIOD_US))
        fs.writeFileSync(path.join(this.dir, 'cpu.cfs_quota_us'), String(QUOTA_US))
      }
    } catch (e) {
      fs.rmdirSync(this.dir)
      throw e
    }
    this.procs = path.join(this.dir, 'cgroup.procs')
    this.busy = undefined
  }

  /** The busy loop: a shell that joins the cgroup, then spins. */
  async startBusy() {
    this.busy = spawn('sh', ['-c', `echo $$ > '${this.procs}' && while :; do :; done`], { stdio: 'ignore' })
    for (let i = 0; i < 100 && !this.members().includes(this.busy.pid); i++) await sleep(10)
    if (!this.members().includes(this.busy.pid)) throw new Error('the busy loop did not join the cgroup')
  }

  members() {
    try {
      return fs.readFileSync(this.procs, 'utf8').split('\n').filter(Boolean).map(Number)
    } catch {
      return []
    }
  }

  /** What is in the cgroup besides the busy loop: [pid, comm] each. */
  strangers() {
    return this.members().filter((p) => p !== this.busy?.pid).map((p) => {
      let comm = '?'
      try { comm = fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() } catch {}
      return [p, comm]
    })
  }

  async close() {
    if (this.busy && this.busy.exitCode === null) {
      this.busy.kill('SIGKILL')
      await new Promise((r) => this.busy.once('exit', r))
    }
    for (let i = 0; i < 200; i++) {
      for (const p of this.members()) try { process.kill(p, 'SIGKILL') } catch {}
      try {
        fs.rmdirSync(this.dir)
        return
      } catch (e) {
        if (e.code !== 'EBUSY') throw e
      }
      await sleep(10)
    }
    throw new Error(`could not remove ${this.dir}`)
  }
}

/** One run of cmd in the cgroup: { wallMs, cpuMs, maxRssKiB, status }. */
export function probeOnce(fx, cg, cmd) {
  const r = run(fx.cgprobe, [cg.procs, ...cmd], { timeout: 60000 })
  const m = /^(\d+) (\d+) (\d+) (\S+)$/.exec(r.stdout.trim())
  if (!m) throw new Error(`cgprobe: ${r.stderr.trim() || `exit ${r.status ?? r.signal}`}`)
  return { wallMs: Number(m[1]) / 1e6, cpuMs: Number(m[2]) / 1e6, maxRssKiB: Number(m[3]), status: m[4] }
}

/** The hung probe: the deadline must end it with 124, and leave nothing of it
 * in the cgroup. */
export function hungProbeOnce(fx, cg, cmd) {
  const p = probeOnce(fx, cg, cmd)
  const left = cg.strangers()
  for (const [pid] of left) try { process.kill(pid, 'SIGKILL') } catch {}
  return { ...p, left: left.map(([pid, comm]) => `${pid} (${comm})`) }
}
