// Memory and idle wake-ups, measured in the same runs: /proc/PID/status and
// the context switches of every thread of the init while its program sleeps.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import { cleanEnv, sleep } from './common.mjs'

/** The numeric fields of /proc/PID/status (PID may be "PID/task/TID"):
 * "VmHWM:\t  1234 kB" is VmHWM 1234. */
function readStatus(pid) {
  const out = {}
  for (const [, k, n] of fs.readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+)(?:[ \t]|$)/gm)) out[k] = Number(n)
  return out
}

/** Context switches of every thread of pid, by tid. */
function ctxtSwitches(pid) {
  const out = new Map()
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readStatus(`${pid}/task/${tid}`)
      out.set(tid, (s.voluntary_ctxt_switches ?? 0) + (s.nonvoluntary_ctxt_switches ?? 0))
    } catch {} // the thread just ended
  }
  return out
}

function childrenOf(pid) {
  let kids = []
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      kids = kids.concat(fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
    } catch {}
  }
  return kids
}

/**
 * Memory and idle wake-ups of the init while its program sleeps: RssAnon and
 * VmHWM from /proc/PID/status, and the context switches of all its threads
 * over idleMs, after settleMs. The floor: `floor idle`, no program.
 */
export async function measureMemoryIdle(c, settleMs, idleMs) {
  const argv = c.idle ?? c.wrap(['sleep', '3600'])
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env: cleanEnv() })
  const exited = new Promise((r) => child.on('exit', r))
  let gone = false
  void exited.then(() => (gone = true))
  try {
    const pid = child.pid
    const t0 = Date.now()
    if (!c.idle) {
      while (childrenOf(pid).length === 0) {
        if (gone || Date.now() - t0 > 20000) throw new Error(`${c.key}: its program never started`)
        await sleep(5)
      }
    }
    const up = Date.now() - t0
    await sleep(settleMs)
    if (gone) throw new Error(`${c.key}: exited early`)
    const before = ctxtSwitches(pid)
    const tA = process.hrtime.bigint()
    await sleep(idleMs)
    const after = ctxtSwitches(pid)
    const secs = Number(process.hrtime.bigint() - tA) / 1e9
    const st = readStatus(pid)
    let delta = 0
    for (const [tid, v] of after) delta += v - (before.get(tid) ?? 0)
    return { rssAnonKiB: st.RssAnon, hwmKiB: st.VmHWM, rssKiB: st.VmRSS, threads: after.size, wakeups: delta / secs, upMs: up }
  } finally {
    if (!gone) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(t)
    }
  }
}
