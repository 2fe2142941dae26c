// The start-up signal window: a signal sent to the init before its handlers
// exist is lost (a supervisor: it dies of it; PID 1: the kernel drops it).
// test/fixtures/sigwindow sends SIGTERM a set delay after the init's exec
// and reports how the program ended: "exit 143" = forwarded.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ROOT, WORK, run } from './common.mjs'

export function buildSigwindow() {
  const src = path.join(ROOT, 'test', 'fixtures', 'sigwindow.c')
  const bin = path.join(WORK, 'sigwindow')
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' })
  return bin
}

const forwarded = (bin, c, delayMs) => run(bin, ['15', String(Math.round(delayMs * 1000)), ...c.wrap(['sleep', '5'])], { timeout: 30000 }).stdout.trim() === 'exit 143'

/**
 * The window in ms: the least delay after exec from which SIGTERM is
 * forwarded in every one of `trials` tries, found by bisection between 0 and
 * maxMs to within stepMs.
 */
export function measureWindow(bin, c, { maxMs = 1000, stepMs = 1, trials = 3 } = {}) {
  const all = (d) => {
    for (let i = 0; i < trials; i++) if (!forwarded(bin, c, d)) return false
    return true
  }
  if (!all(maxMs)) throw new Error(`SIGTERM ${maxMs} ms after exec was still lost`)
  let lo = 0
  let hi = maxMs
  if (all(0)) return 0
  while (hi - lo > stepMs) {
    const mid = (lo + hi) / 2
    if (all(mid)) hi = mid
    else lo = mid
  }
  return hi
}
