// A warm V8 code cache for the executable's main script (scripts/build-sea.mjs).
//
// Node's own SEA code cache (useCodeCache) is made at build time by compiling
// the main script without running it, so it holds the top-level code only:
// every function the init calls is still compiled on its first call, at each
// start. A cache taken AFTER a run holds every function that run compiled. So
// the executable's SEA main is a small loader (LOADER below) that compiles the
// bundle from the SEA asset main.js with the V8 cache in the asset main.cache,
// and that cache comes from training runs of a realistic invocation in an
// executable made the same way (same runtime, same V8 flags: V8 rejects a cache
// made under other flags or another V8), whose loader (TRAINING_LOADER) writes
// script.createCachedData() just before the init exits.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

export const SOURCE_ASSET = 'main.js'
export const CACHE_ASSET = 'main.cache'

/** The bundle as the one function expression the loader compiles (Node's CommonJS wrapper). */
export function wrapSource(bundleText) {
  // the loader reads the asset as latin1 (a plain copy, no UTF-8 decoding):
  // esbuild escapes every non-ASCII character, checked here
  if (/[\u0080-\uffff]/.test(bundleText)) throw new Error('warm cache: the bundle is not ASCII')
  return `(function (exports, require, module, __filename, __dirname) {${bundleText}\n})`
}

// The SEA main of the executable. The bundle gets this script's own require
// (built-ins only), module, __filename and __dirname, as if it were the main.
export const LOADER = `'use strict'
const { getRawAsset } = require('node:sea')
const { Script } = require('node:vm')
const source = Buffer.from(getRawAsset(${JSON.stringify(SOURCE_ASSET)})).latin1Slice()
const script = new Script(source, { filename: __filename, cachedData: new Uint8Array(getRawAsset(${JSON.stringify(CACHE_ASSET)})) })
script.runInThisContext()(exports, require, module, __filename, __dirname)
`

// The SEA main of the training executable (built, run and deleted by the
// build). TINI_TS_TRAIN_IN: a cache to start from (whether V8 accepted it is
// written to TINI_TS_TRAIN_OUT.accepted); TINI_TS_TRAIN_OUT: where the cache
// goes. The init leaves with the addon's exitNow (_exit: no 'exit' event), so
// that is where the cache is written.
const TRAINING_LOADER = `'use strict'
const fs = require('node:fs')
const { getRawAsset } = require('node:sea')
const { Script } = require('node:vm')
const inFile = process.env.TINI_TS_TRAIN_IN, outFile = process.env.TINI_TS_TRAIN_OUT
delete process.env.TINI_TS_TRAIN_IN
delete process.env.TINI_TS_TRAIN_OUT
const source = Buffer.from(getRawAsset(${JSON.stringify(SOURCE_ASSET)})).latin1Slice()
const script = new Script(source, { filename: __filename, cachedData: inFile ? fs.readFileSync(inFile) : undefined })
if (inFile) fs.writeFileSync(outFile + '.accepted', String(script.cachedDataRejected === false))
const dlopen = process.dlopen
process.dlopen = function (mod, ...rest) {
  const r = dlopen.call(this, mod, ...rest)
  const { exitNow } = mod.exports
  if (typeof exitNow === 'function') {
    // the addon's exports are frozen: an object over them with exitNow wrapped
    mod.exports = Object.freeze(Object.create(mod.exports, { exitNow: { enumerable: true, value: (code) => {
      fs.writeFileSync(outFile, script.createCachedData())
      return exitNow(code)
    } } }))
  }
  return r
}
script.runInThisContext()(exports, require, module, __filename, __dirname)
`

export function writeLoaders(work) {
  const loader = path.join(work, 'loader.cjs')
  const training = path.join(work, 'training-loader.cjs')
  fs.writeFileSync(loader, LOADER)
  fs.writeFileSync(training, TRAINING_LOADER)
  return { loader, training }
}

/** A training run that could not run here (qemu-user, no pid namespace):
 * the build falls back to Node's own code cache, with a note. */
export class CannotTrain extends Error {}

/**
 * The invocations trained, in order, each starting from the cache the one
 * before wrote: what the Node path does on every start (-s -w, a child that
 * exits), then the same as PID 1 of a new pid namespace (the container's
 * case), when this machine lets us make one. Returns the cache file and the
 * runs that made it. Throws CannotTrain when the first run fails, and a plain
 * Error (the build fails) when a run that succeeded left no cache or V8
 * rejected the cache it was given: the training loader no longer fits the
 * bundle.
 */
export function train({ exe, runner, work, log }) {
  const base = [...(runner ?? []), exe]
  // qemu-user has no PR_SET_CHILD_SUBREAPER: -s is left out under it
  const sub = runner?.length ? [] : ['-s']
  const runs = [
    { name: `${sub.join(' ')} -w -- true`.trim(), cmd: [...base, ...sub, '-w', '--', 'true'], required: true },
    { name: 'PID 1: -- true', cmd: ['unshare', '-fp', '--mount-proc', ...base, '--', 'true'], required: false },
    // the cache once more, consumed the way the executable will: V8 must accept it
    { name: 'check', cmd: [...base, ...sub, '--', 'true'], required: true, check: true },
  ]
  let cache
  const done = []
  for (const [i, r] of runs.entries()) {
    const out = path.join(work, `train-${i}.cache`)
    const env = { ...process.env, TINI_TS_TRAIN_OUT: out }
    delete env.NODE_OPTIONS
    if (cache) env.TINI_TS_TRAIN_IN = cache
    const p = spawnSync(r.cmd[0], r.cmd.slice(1), { env, encoding: 'utf8', cwd: work, timeout: 120_000 })
    if (p.status !== 0) {
      const why = `training run "${r.name}" failed (${p.status ?? p.signal ?? p.error?.message}): ${(p.stderr ?? '').trim().slice(0, 400)}`
      if (r.required) throw new CannotTrain(why)
      log(`note: ${why}; the cache holds the runs before it`)
      continue
    }
    if (!fs.existsSync(out)) throw new Error(`training run "${r.name}" left no code cache (the init no longer leaves through the addon's exitNow?)`)
    if (cache && fs.readFileSync(`${out}.accepted`, 'utf8') !== 'true') throw new Error(`V8 rejected the trained code cache (run "${r.name}")`)
    if (r.check) break
    cache = out
    done.push(r.name)
  }
  return { cache, runs: done, size: fs.statSync(cache).size }
}
