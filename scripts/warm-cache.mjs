// A warm V8 code cache for the executable's main script (scripts/build-sea.mjs).
//
// Node's own SEA code cache (useCodeCache) is made at build time by compiling
// the main script without running it, so it holds the top-level code only:
// every function the init calls is still compiled on its first call, at each
// start. A cache taken AFTER a run holds every function that run compiled.
//
// Node compiles the SEA main as a CommonJS function (V8's CompileFunction with
// the parameters exports, require, module, __filename, __dirname) and hands
// V8 the blob's code cache with it. So the build makes the blob as usual and
// puts, in place of Node's cache, one taken from training runs
// (replaceCodeCache below): the executable runs its main exactly as an
// unmodified SEA does, with no loader of ours and nothing more to read at
// start-up. V8 takes a cache only from the same V8 version and flags and
// matches it to its source by length, so the training executable is made the
// same way (same runtime, same V8 flags) and compiles the very bundle text,
// as a function with the same parameters, with node:vm. When the init leaves
// (the addon's exitNow), the training loader compiles that text once more
// with produceCachedData: V8 finds the function in its compilation cache,
// now with every function the run compiled, and serializes that.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

/** The training executable's SEA asset holding the bundle text. */
export const SOURCE_ASSET = 'main.js'

/** Node's warning when V8 rejects the SEA's code cache (lib/internal/modules/helpers.js). */
export const REJECTED_WARNING = 'Code cache data rejected'

/** The bundle as the training loader reads it: latin1, a plain copy of the
 * bytes, which is the text Node compiles from the blob (UTF-8) only when the
 * bundle is ASCII. esbuild escapes every non-ASCII character; checked here. */
export function checkAscii(bundleText) {
  if (/[\u0080-\uffff]/.test(bundleText)) throw new Error('warm cache: the bundle is not ASCII')
  return bundleText
}

// The SEA main of the training executable (built, run and deleted by the
// build). TINI_TS_TRAIN_IN: a cache to start from (whether V8 accepted it is
// written to TINI_TS_TRAIN_OUT.accepted); TINI_TS_TRAIN_OUT: where the cache
// goes. The bundle gets this script's own require (built-ins only), module,
// __filename and __dirname, as the SEA main gets its own. The init leaves with
// the addon's exitNow (_exit: no 'exit' event), so that is where the cache is
// written.
const TRAINING_LOADER = `'use strict'
const fs = require('node:fs')
const { getRawAsset } = require('node:sea')
const { compileFunction } = require('node:vm')
const inFile = process.env.TINI_TS_TRAIN_IN, outFile = process.env.TINI_TS_TRAIN_OUT
delete process.env.TINI_TS_TRAIN_IN
delete process.env.TINI_TS_TRAIN_OUT
const source = Buffer.from(getRawAsset(${JSON.stringify(SOURCE_ASSET)})).latin1Slice()
const params = ['exports', 'require', 'module', '__filename', '__dirname']
const fn = compileFunction(source, params, { filename: __filename, cachedData: inFile ? fs.readFileSync(inFile) : undefined })
if (inFile) fs.writeFileSync(outFile + '.accepted', String(fn.cachedDataRejected === false))
const dlopen = process.dlopen
process.dlopen = function (mod, ...rest) {
  const r = dlopen.call(this, mod, ...rest)
  const { exitNow } = mod.exports
  if (typeof exitNow === 'function') {
    // the addon's exports are frozen: an object over them with exitNow wrapped
    mod.exports = Object.freeze(Object.create(mod.exports, { exitNow: { enumerable: true, value: (code) => {
      // the same text and origin: V8's compilation cache gives back the function that ran
      const again = compileFunction(source, params, { filename: __filename, produceCachedData: true })
      fs.writeFileSync(outFile, again.cachedData)
      return exitNow(code)
    } } }))
  }
  return r
}
fn(exports, require, module, __filename, __dirname)
`

export function writeTrainingLoader(work) {
  const training = path.join(work, 'training-loader.cjs')
  fs.writeFileSync(training, TRAINING_LOADER)
  return training
}

// The SEA preparation blob of Node 24 (src/node_sea.cc, SeaSerializer):
// u32 magic, u32 flags, u8 execArgvExtension, then length-prefixed (u64,
// little-endian) strings: the main's path, the main script, the code cache
// when flags has kUseCodeCache; then the assets and execArgv, kept as they are.
const SEA_MAGIC = 0x0143da20
const SEA_HEADER = 9
const K_USE_CODE_CACHE = 1 << 2

/** `blob` with its code cache replaced by `cache`; throws on a blob of another layout. */
export function replaceCodeCache(blob, cache) {
  if (blob.length < SEA_HEADER || blob.readUInt32LE(0) !== SEA_MAGIC) throw new Error('warm cache: not a Node SEA blob (magic)')
  if (!(blob.readUInt32LE(4) & K_USE_CODE_CACHE)) throw new Error('warm cache: the SEA blob has no code cache to replace')
  let off = SEA_HEADER
  const skip = () => {
    if (off + 8 > blob.length) throw new Error('warm cache: SEA blob truncated')
    const n = Number(blob.readBigUInt64LE(off))
    if (off + 8 + n > blob.length) throw new Error('warm cache: SEA blob truncated')
    off += 8 + n
  }
  skip() // the main's path
  skip() // the main script
  const at = off
  skip() // Node's code cache
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(cache.length))
  return Buffer.concat([blob.subarray(0, at), len, cache, blob.subarray(off)])
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
      // the check consumes the cache the runs before it made: its failure is
      // the cache's, and fails the build
      if (r.check) throw new Error(why)
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
