#!/usr/bin/env node
// A/B start-up comparison, interleaved run by run (for trying out a change):
//   node bench/compare.mjs [-n RUNS] -- 'CMD A...' 'CMD B...' ...
// Prints the median, p10 and p90 wall time of each command, its median CPU
// time (user+sys of it and its children) (fork to exit,
// measured by bench/fixtures/startup, which bench/run.mjs compiles) and its
// difference from the first one.
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const BENCH = path.dirname(fileURLToPath(import.meta.url))
const helper = path.join(BENCH, '.work', 'startup')
if (!fs.existsSync(helper)) execFileSync('cc', ['-O2', '-o', helper, path.join(BENCH, 'fixtures', 'startup.c')])
let n = 40
const args = process.argv.slice(2)
const cmds = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-n') n = Number(args[++i])
  else if (args[i] !== '--') cmds.push(args[i].split(/\s+/).filter(Boolean))
}
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
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] }
const base = q(samples[0], 0.5)
cmds.forEach((c, i) => {
  const m = q(samples[i], 0.5)
  console.log(`${m.toFixed(2).padStart(7)} ms  cpu ${q(cpus[i], 0.5).toFixed(2).padStart(6)} ms  p10 ${q(samples[i], 0.1).toFixed(2)}  p90 ${q(samples[i], 0.9).toFixed(2)}  ${i ? `${m - base >= 0 ? '+' : ''}${(m - base).toFixed(2)} ms ${(m / base).toFixed(3)}x` : 'base'}  ${c.join(' ')}`)
})
