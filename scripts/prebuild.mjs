#!/usr/bin/env node
// Node-API prebuilds for the npm package: prebuilds/linux-<arch>/tini-ts.glibc.node,
// made with prebuildify and found at run time by node-gyp-build (the ecosystem's
// usual pair: sharp-free, no download at install, one Node-API build serves
// Node 20 and 24). linux-x64 and linux-arm64, glibc; the other architecture
// with Debian's cross compiler (gcc-aarch64-linux-gnu / gcc-x86-64-linux-gnu).
//
// prebuildify runs `node-gyp rebuild` in its cwd and moves the result out of
// build/Release: it runs on a copy of binding.gyp + native/ so the checkout's
// own build/ (tests, the single executable) is left alone. Headers: the pinned
// runtime's include/ (Node-API is the same header set for every arch), so
// nothing is downloaded.
//
//   node scripts/prebuild.mjs            # every arch this machine can build; skips others with a note
//   node scripts/prebuild.mjs --all      # both, or fail (publishing: `npm pack` runs this)
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { ARCHES, HOST_ARCH, ensureRuntime, pinned } from './runtime.mjs'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const NAME = 'tini-ts'
const CROSS = { arm64: 'aarch64-linux-gnu', x64: 'x86_64-linux-gnu' }

export function prebuildPath(arch) {
  return path.join(ROOT, 'prebuilds', `linux-${arch}`, `${NAME}.glibc.node`)
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}

function headersDir() {
  // any Node >= 20 header set does (Node-API 8); prefer the pinned runtime's
  for (const arch of [HOST_ARCH, ...ARCHES]) {
    const dir = path.join(ROOT, 'node_modules', `node-linux-${arch}`)
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir
  }
  try {
    return ensureRuntime(HOST_ARCH).dir
  } catch {
    /* offline: fall back on the installed node's headers */
  }
  for (const dir of [process.env.npm_config_nodedir, path.resolve(process.execPath, '..', '..')]) {
    if (dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir
  }
  throw new Error('no Node headers (include/node/node_api.h) found')
}

export function prebuild(arch, log) {
  const env = { ...process.env, npm_config_nodedir: headersDir() }
  delete env.NODE_OPTIONS
  const strip = arch === HOST_ARCH ? 'strip' : `${CROSS[arch]}-strip`
  if (arch !== HOST_ARCH) {
    const cc = `${CROSS[arch]}-gcc`
    if (!has(cc)) return `no cross compiler ${cc} (Debian: gcc-${CROSS[arch].replace(/_/g, '-')})`
    // gyp's make generator compiles with $CC and links with $LINK (default $CXX)
    Object.assign(env, { CC: cc, CXX: cc, LINK: cc, AR: `${CROSS[arch]}-ar` })
  }
  if (!has(strip)) return `no ${strip} (binutils)`
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tini-ts-prebuild-'))
  try {
    fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(work, 'binding.gyp'))
    fs.cpSync(path.join(ROOT, 'native'), path.join(work, 'native'), { recursive: true })
    fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: NAME, private: true }))
    const bin = require.resolve('prebuildify/bin.js', { paths: [ROOT] })
    const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] })
    const args = [bin, '--napi', '--strip', '--strip-bin', strip, '--tag-libc', '--arch', arch, '--platform', 'linux',
      '--out', ROOT, '--cwd', work, '--node-gyp', nodeGyp, '--target', `node@${pinned().version}`]
    const r = spawnSync(process.execPath, args, { cwd: work, env, encoding: 'utf8', shell: false })
    if (r.status !== 0) throw new Error(`prebuildify for linux-${arch} failed:\n${r.stdout}${r.stderr}`)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  const out = prebuildPath(arch)
  if (!fs.existsSync(out)) throw new Error(`prebuildify wrote no ${out}`)
  log(`${path.relative(ROOT, out)}: ${(fs.statSync(out).size / 1024).toFixed(0)} KiB`)
  return undefined
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const all = process.argv.includes('--all')
  const log = (m) => process.stderr.write(`prebuild: ${m}\n`)
  try {
    for (const arch of ARCHES) {
      const skipped = prebuild(arch, log)
      if (skipped && all) throw new Error(`linux-${arch}: ${skipped}`)
      if (skipped) log(`linux-${arch} skipped: ${skipped}`)
    }
  } catch (e) {
    log(`error: ${e instanceof Error ? e.message : e}`)
    process.exit(1)
  }
}
