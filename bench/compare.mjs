#!/usr/bin/env node
// A/B start-up comparison, interleaved run by run (for trying out a change):
//   node bench/compare.mjs [-n RUNS] -- 'CMD A...' 'CMD B...' ...
// Prints the median, p10 and p90 wall time of each command, its median CPU
// time (user+sys of it and its children) (fork to exit,
// measured by bench/fixtures/startup, compiled as bench/run.mjs does) and its
// difference from the first one.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseCommandLine } from '../scripts/cli-args.mjs'
import { buildFixtures } from './lib/contenders.mjs'
import { quantile as q } from './lib/stats.mjs'

const helper = buildFixtures().startup
const { values, positionals } = parseCommandLine(process.argv.slice(2), { n: { type: 'string', short: 'n' } }, fileURLToPath(import.meta.url), { allowPositionals: true })
const n = Number(values.n ?? 40)
const cmds = positionals.map((a) => a.split(/\s+/).filter(Boolean))
const samples = cmds.map(() => [])
const cpus = cmds.map(() => [])
const once = (c) => spawnSync(helper, ['1', ...c], { encoding: 'utf8' }).stdout.trim() // exit status ignored
for (const c of cmds) once(c) // warm-up
for (let i = 0; i < n; i++) {
  for (let j = 0; j < cmds.length; j++) {
    const k = (i + j) % cmds.length
    const out = once(cmds[k])
    const m = /^(\d+) (\d+)$/.exec(out)
    if (m) {
      samples[k].push(Number(m[1]) / 1e6)
      cpus[k].push(Number(m[2]) / 1e6)
    }
  }
}
const base = q(samples[0], 0.5)
cmds.forEach((c, i) => {
  const m = q(samples[i], 0.5)
  console.log(`${m.toFixed(2).padStart(7)} ms  cpu ${q(cpus[i], 0.5).toFixed(2).padStart(6)} ms  p10 ${q(samples[i], 0.1).toFixed(2)}  p90 ${q(samples[i], 0.9).toFixed(2)}  ${i ? `${m - base >= 0 ? '+' : ''}${(m - base).toFixed(2)} ms ${(m / base).toFixed(3)}x` : 'base'}  ${c.join(' ')}`)
})
