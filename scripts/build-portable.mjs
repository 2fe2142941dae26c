#!/usr/bin/env node
// Builds the portable bundles: tini-ts with its own glibc, for images that have
// none (Alpine/musl, scratch, distroless static) or an older one.
//
//   dist/tini-ts-portable-linux-x64.tar.gz
//   dist/tini-ts-portable-linux-arm64.tar.gz   (when dist/linux-arm64/ was built)
//
// Unpacked at /, each installs /opt/tini-ts/:
//   tini-ts           the entry, the command users run: the static front end when
//                     dist/linux-<arch>/ has one (then tini-ts-node is beside it),
//                     else a symlink to tini-ts-node
//   tini-ts-node      the Node single executable, its ELF interpreter set to
//                     /opt/tini-ts/lib/ld-linux-*.so.* and its DT_RPATH to
//                     /opt/tini-ts/lib (patchelf)
//   tini_native.node  the addon beside it: loaded from there, nothing is ever
//                     extracted (read-only root, no writable or exec /tmp)
//   lib/              the loader and every library the executable and the addon
//                     need (DT_NEEDED, followed recursively), from this machine's
//                     Debian packages (x64) and Debian's cross packages (arm64:
//                     libc6-arm64-cross, libstdc++6-arm64-cross)
//   licenses/         the Debian copyright files of those packages, the licence
//                     texts they name, Node's LICENSE, tini-ts's, and SOURCES
//                     (which package and version each bundled file comes from)
//
// The path is fixed: the kernel reads the interpreter's absolute path from the
// executable. DT_RPATH (not DT_RUNPATH) because it applies to the libraries'
// own dependencies too (libstdc++ -> libm) and comes before LD_LIBRARY_PATH and
// the image's /etc/ld.so.cache: nothing from the image's libc can mix in.
//
// The tarballs are reproducible: entries sorted, owner root, mtime
// $SOURCE_DATE_EPOCH (else the last commit's time), gzip without a name or time.
//
// Usage:
//   node scripts/build-portable.mjs               # every architecture dist/ has
//   node scripts/build-portable.mjs --arch arm64  # only this one (it must be built)
// Options:
//   --dist DIR     where the executables are and the tarballs go (default dist/)
//   --keep         keep the staging tree (printed)
//   --quiet
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ARCHES, HOST_ARCH, ensureRuntime, runnerFor } from './runtime.mjs'
import { parseCommandLine } from './cli-args.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const PREFIX = '/opt/tini-ts'
const ADDON = 'tini_native.node'

// Where each architecture's libraries are on a Debian host: the multiarch
// directories for the native one, the cross packages' sysroot for arm64.
const LIB_DIRS = {
  x64: ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64'],
  arm64: ['/usr/aarch64-linux-gnu/lib', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'],
}
// Licence texts the Debian copyright files of glibc and GCC's runtime refer to.
const COMMON_LICENSES = ['LGPL-2.1', 'GPL-2', 'GPL-3']

export function tarballName(arch) {
  return `tini-ts-portable-linux-${arch}.tar.gz`
}

function run(cmd, args, what = cmd) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.error) throw new Error(`${what}: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${r.stderr.trim()}`)
  return r.stdout
}

/** The ELF interpreter an executable asks for, or undefined (static). */
export function interpreterOf(file) {
  const m = /\[Requesting program interpreter: ([^\]]+)\]/.exec(run('readelf', ['-lW', file], `readelf -l ${file}`))
  return m ? m[1] : undefined
}

/** DT_NEEDED entries of an ELF file. */
export function neededOf(file) {
  return [...run('readelf', ['-dW', file], `readelf -d ${file}`).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
}

function findLib(arch, name) {
  for (const d of LIB_DIRS[arch]) {
    const p = path.join(d, name)
    if (fs.existsSync(p)) return p
  }
  throw new Error(`linux-${arch}: ${name} not found in ${LIB_DIRS[arch].join(', ')} ` +
    `(scripts/ci-install-system.sh installs ${arch === 'arm64' ? 'libc6-arm64-cross and libstdc++6-arm64-cross' : 'libc6 and libstdc++6'})`)
}

/** Every library the given ELF files need, followed through the libraries' own DT_NEEDED: name -> host path. */
export function closure(arch, files) {
  const libs = new Map()
  const queue = files.flatMap((f) => neededOf(f))
  while (queue.length) {
    const name = queue.shift()
    if (libs.has(name)) continue
    const p = findLib(arch, name)
    libs.set(name, p)
    queue.push(...neededOf(p))
  }
  return libs
}

/** The Debian package (and its version) that installed `file`, trying the paths usrmerge gives it. */
function debianPackage(file) {
  const real = fs.realpathSync(file)
  for (const p of [...new Set([file, real, real.replace(/^\/usr\/lib\//, '/lib/')])]) {
    const r = spawnSync('dpkg-query', ['-S', p], { encoding: 'utf8' })
    if (r.status !== 0) continue
    // "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6", "libc6-arm64-cross: /usr/..."
    const m = /^([^:\s,]+)(?::([a-z0-9-]+))?: /.exec(r.stdout)
    if (!m) continue
    const [, pkg, arch] = m
    const v = run('dpkg-query', ['-W', '-f=${Version} ${source:Package} ${source:Version}', arch ? `${pkg}:${arch}` : pkg]).trim().split(' ')
    return { pkg, version: v[0], source: v[1], sourceVersion: v[2] }
  }
  return undefined
}

/** The executables of `arch` in dist/: { sea, frontEnd?, addon }, or why not. */
export function inputs(dist, arch) {
  const dirs = [path.join(dist, `linux-${arch}`), ...(arch === HOST_ARCH ? [dist] : [])]
  for (const dir of dirs) {
    const addon = path.join(dir, ADDON)
    const node = path.join(dir, 'tini-ts-node')
    const entry = path.join(dir, 'tini-ts')
    if (!fs.existsSync(addon)) continue
    // the layout with the static front end: tini-ts beside tini-ts-node (the Node executable)
    if (fs.existsSync(node)) {
      // the front end goes in as it is only when it needs no loader at all
      const frontEnd = fs.existsSync(entry) && !interpreterOf(entry) ? entry : undefined
      return { sea: node, frontEnd, addon }
    }
    // without it, tini-ts is the Node executable itself (dynamically linked)
    if (fs.existsSync(entry) && interpreterOf(entry)) return { sea: entry, addon }
  }
  return { missing: `no tini-ts-node or Node tini-ts with ${ADDON} in ${dirs.map((d) => path.relative(ROOT, d) || '.').join(' or ')}` }
}

function sourceDateEpoch() {
  if (/^\d+$/.test(process.env.SOURCE_DATE_EPOCH ?? '')) return Number(process.env.SOURCE_DATE_EPOCH)
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' })
  return r.status === 0 && /^\d+$/.test(r.stdout.trim()) ? Number(r.stdout.trim()) : 0
}

function copy(src, dst, mode) {
  fs.copyFileSync(src, dst)
  fs.chmodSync(dst, mode)
}

function sizeOf(dir) {
  let n = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) n += sizeOf(p)
    else if (e.isFile()) n += fs.statSync(p).size
  }
  return n
}

/** Licences and provenance of everything bundled, into `dir`. */
function writeLicenses(dir, arch, bundled) {
  fs.mkdirSync(dir, { mode: 0o755 })
  const lines = [
    `tini-ts portable bundle, linux-${arch}: where each file comes from.`,
    'The libraries are unmodified copies of Debian\'s binaries; their source is that of the',
    'Debian source package named, at that version (`apt-get source <package>=<version>`, or',
    'https://snapshot.debian.org/package/<package>/<version>/).',
    '',
  ]
  const pkgs = new Set()
  for (const [name, file] of bundled.libs) {
    const d = debianPackage(file)
    if (!d) throw new Error(`${file}: no Debian package owns it (dpkg-query -S): cannot name its source and licence`)
    pkgs.add(d.pkg)
    lines.push(`lib/${name}: ${fs.realpathSync(file)} of Debian package ${d.pkg} ${d.version} (source ${d.source} ${d.sourceVersion})`)
  }
  lines.push(`tini-ts-node: the npm package node-linux-${arch} ${bundled.nodeVersion} (Node.js, licences in node.LICENSE), ` +
    `with the tini-ts application embedded (MIT, tini-ts.LICENSE); ${bundled.stripped ? 'its symbol tables stripped, ' : ''}its interpreter and DT_RPATH set with patchelf`)
  lines.push(`${ADDON}: tini-ts's native addon (MIT, tini-ts.LICENSE)`)
  if (bundled.frontEnd) lines.push('tini-ts: tini-ts\'s static front end (MIT, tini-ts.LICENSE), linked with musl (MIT, musl.copyright)')
  fs.writeFileSync(path.join(dir, 'SOURCES'), lines.join('\n') + '\n', { mode: 0o644 })
  for (const pkg of [...pkgs].sort()) copy(path.join('/usr/share/doc', pkg, 'copyright'), path.join(dir, `${pkg}.copyright`), 0o644)
  for (const l of COMMON_LICENSES) copy(path.join('/usr/share/common-licenses', l), path.join(dir, l), 0o644)
  copy(path.join(bundled.nodeDir, 'LICENSE'), path.join(dir, 'node.LICENSE'), 0o644)
  copy(path.join(ROOT, 'LICENSE'), path.join(dir, 'tini-ts.LICENSE'), 0o644)
  // the front end links musl statically (Debian's musl-tools)
  if (bundled.frontEnd) {
    const musl = ['musl', 'musl-dev', 'musl-tools'].map((p) => path.join('/usr/share/doc', p, 'copyright')).find((f) => fs.existsSync(f))
    if (!musl) throw new Error('the static front end links musl, but /usr/share/doc/musl/copyright is missing (Debian package musl)')
    copy(musl, path.join(dir, 'musl.copyright'), 0o644)
  }
}

/**
 * What the bundled loader resolves for `file` when the bundle's lib/ stands in
 * for /opt/tini-ts/lib: { lib: path }; undefined when it cannot run here.
 */
function listWithBundledLoader(arch, loader, libDir, file) {
  const runner = runnerFor(arch)
  if (!runner) return undefined
  // a qemu -L prefix would redirect the absolute paths below: plain qemu suffices
  const cmd = [...runner.slice(0, runner.length ? 1 : 0), loader, '--library-path', libDir, '--list', file]
  const out = run(cmd[0], cmd.slice(1), `${path.basename(loader)} --list ${path.basename(file)}`)
  const seen = {}
  for (const m of out.matchAll(/^\s*(\S+) => (\S+)/gm)) seen[m[1]] = m[2]
  return seen
}

function missingTools() {
  return ['patchelf', 'readelf', 'dpkg-query', 'tar', 'gzip'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0)
}

export function buildPortable(opts) {
  const log = opts.quiet ? () => {} : (m) => process.stderr.write(`build-portable: ${m}\n`)
  const dist = path.resolve(opts.dist ?? path.join(ROOT, 'dist'))
  const results = []
  // `npm run build` (and `npm run demo`) on a machine without these still makes
  // dist/tini-ts; the container tier fails on the missing tarballs
  const tools = missingTools()
  if (tools.length) {
    if (opts.arch) throw new Error(`needs ${tools.join(', ')} (scripts/ci-install-system.sh installs them)`)
    process.stderr.write(`build-portable: note: no portable bundles: ${tools.join(', ')} missing (scripts/ci-install-system.sh installs them)\n`)
    return results
  }
  for (const arch of opts.arch ? [opts.arch] : ARCHES) {
    const t0 = Date.now()
    const found = inputs(dist, arch)
    if (found.missing) {
      if (opts.arch) throw new Error(found.missing)
      log(`linux-${arch} skipped: ${found.missing}`)
      continue
    }
    const node = ensureRuntime(arch)
    const work = fs.mkdtempSync(path.join(dist, '.portable-work-'))
    try {
      const top = path.join(work, PREFIX.slice(1))
      const libDir = path.join(top, 'lib')
      fs.mkdirSync(libDir, { recursive: true, mode: 0o755 })
      for (let d = top; d !== work; d = path.dirname(d)) fs.chmodSync(d, 0o755)

      const interp = interpreterOf(found.sea)
      if (!interp) throw new Error(`${found.sea} has no ELF interpreter: not the Node executable`)
      const libs = closure(arch, [found.sea, found.addon])
      libs.set(path.basename(interp), findLib(arch, path.basename(interp)))
      for (const [name, file] of libs) copy(file, path.join(libDir, name), 0o755)

      const sea = path.join(top, 'tini-ts-node')
      copy(found.sea, sea, 0o755)
      const rpath = path.join(PREFIX, 'lib')
      run('patchelf', ['--set-interpreter', path.join(rpath, path.basename(interp)), '--set-rpath', rpath, '--force-rpath', sea], 'patchelf (executable)')
      const addon = path.join(top, ADDON)
      copy(found.addon, addon, 0o755)
      run('patchelf', ['--set-rpath', rpath, '--force-rpath', addon], 'patchelf (addon)')
      if (found.frontEnd) copy(found.frontEnd, path.join(top, 'tini-ts'), 0o755)
      else fs.symlinkSync('tini-ts-node', path.join(top, 'tini-ts'))

      // every library resolves inside the bundle (here: its lib/ standing in for /opt/tini-ts/lib)
      for (const f of [sea, addon]) {
        const seen = listWithBundledLoader(arch, path.join(libDir, path.basename(interp)), libDir, f)
        if (!seen) {
          log(`linux-${arch}: cannot run the bundled loader here (no qemu-user): dependencies not listed`)
          break
        }
        if (!seen['libc.so.6']) throw new Error(`${path.basename(f)}: the bundled loader's --list shows no libc.so.6: cannot check it`)
        const outside = Object.entries(seen).filter(([, p]) => !p.startsWith(libDir + '/'))
        if (outside.length) throw new Error(`${path.basename(f)}: resolved outside the bundle: ${outside.map(([n, p]) => `${n} => ${p}`).join(', ')}`)
      }

      const stripped = !/\]\s+\.symtab\s/.test(run('readelf', ['-SW', sea], 'readelf -S'))
      writeLicenses(path.join(top, 'licenses'), arch, { libs, nodeVersion: node.version, nodeDir: node.dir, frontEnd: found.frontEnd, stripped })

      const out = path.join(dist, tarballName(arch))
      const tmp = `${out}.tmp-${process.pid}`
      const epoch = sourceDateEpoch()
      const tar = spawnSync('sh', ['-c', 'tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mtime="@$1" -C "$2" -cf - opt | gzip -n -9 > "$3"',
        'sh', String(epoch), work, tmp], { encoding: 'utf8' })
      if (tar.status !== 0) {
        fs.rmSync(tmp, { force: true })
        throw new Error(`tar | gzip failed: ${tar.stderr}`)
      }
      fs.renameSync(tmp, out)
      const unpacked = sizeOf(work)
      const gz = fs.statSync(out).size
      const libBytes = sizeOf(libDir)
      log(`${path.relative(process.cwd(), out)}: ${(unpacked / 1048576).toFixed(1)} MiB unpacked (lib/ ${(libBytes / 1048576).toFixed(1)} MiB: ` +
        `${[...libs.keys()].sort().join(' ')}), ${(gz / 1048576).toFixed(1)} MiB gzipped, entry ${found.frontEnd ? 'the static front end' : '-> tini-ts-node'} ` +
        `(${((Date.now() - t0) / 1000).toFixed(1)} s)`)
      results.push({ arch, out, unpacked, gz, libs: [...libs.keys()].sort(), frontEnd: !!found.frontEnd })
    } finally {
      if (opts.keep) log(`kept ${work}`)
      else fs.rmSync(work, { recursive: true, force: true })
    }
  }
  return results
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { values: v } = parseCommandLine(process.argv.slice(2), {
      arch: { type: 'string' },
      dist: { type: 'string' },
      keep: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    }, fileURLToPath(import.meta.url))
    if (v.arch !== undefined && !ARCHES.includes(v.arch)) throw new Error(`--arch ${v.arch}: one of ${ARCHES.join(', ')}`)
    buildPortable({ arch: v.arch, dist: v.dist, keep: v.keep ?? false, quiet: v.quiet ?? false })
  } catch (e) {
    process.stderr.write(`build-portable: error: ${e instanceof Error ? e.message : e}\n`)
    process.exit(1)
  }
}
