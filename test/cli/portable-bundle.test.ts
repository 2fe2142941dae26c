// What the portable bundles hold (dist/tini-ts-portable-linux-{x64,arm64}.tar.gz),
// read as a user's tar and readelf would: the /opt/tini-ts layout, the ELF
// surgery (interpreter and DT_RPATH into the bundle), the licences, root-owned
// entries with one fixed time, the size budget; and that rebuilding from the
// same executables gives the same bytes. Running it: test/container/portable-*.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'

const ROOT = path.resolve(__dirname, '..', '..')
const DIST = path.join(ROOT, 'dist')
const MiB = 1048576
const LOADER = { x64: 'ld-linux-x86-64.so.2', arm64: 'ld-linux-aarch64.so.1' }

function tarList(file: string): { mode: string; owner: string; size: number; time: string; name: string; link?: string }[] {
  const r = spawnSync('tar', ['-tvzf', file, '--full-time', '--numeric-owner'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 16 << 20 })
  if (r.status !== 0) throw new Error(r.stderr)
  return r.stdout.trim().split('\n').map((l) => {
    const [mode, owner, size, date, time, ...rest] = l.split(/\s+/)
    const [name, link] = rest.join(' ').split(' -> ')
    return { mode, owner, size: Number(size), time: `${date}T${time}Z`, name, link }
  })
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

for (const arch of ['x64', 'arm64'] as const) {
  const tgz = path.join(DIST, `tini-ts-portable-linux-${arch}.tar.gz`)
  t.test(`the linux-${arch} bundle`, { skip: fs.existsSync(tgz) ? false : `no ${tgz}: npm run build` }, async (t) => {
    const entries = tarList(tgz)
    const names = entries.map((e) => e.name)
    t.same(names, [...names].sort(), 'entries sorted by name')
    t.same([...new Set(entries.map((e) => e.owner))], ['0/0'], 'every entry owned by 0/0')
    t.equal(new Set(entries.map((e) => e.time)).size, 1, `one fixed mtime (${entries[0].time})`)
    for (const f of ['opt/tini-ts/tini-ts-node', 'opt/tini-ts/tini_native.node', `opt/tini-ts/lib/${LOADER[arch]}`,
      'opt/tini-ts/lib/libc.so.6', 'opt/tini-ts/lib/libstdc++.so.6', 'opt/tini-ts/lib/libgcc_s.so.1', 'opt/tini-ts/lib/libm.so.6']) {
      t.ok(names.includes(f), f)
    }
    const entry = entries.find((e) => e.name === 'opt/tini-ts/tini-ts')
    t.ok(entry && (entry.link === 'tini-ts-node' || entry.mode.startsWith('-rwx')), 'opt/tini-ts/tini-ts: the entry (the front end, or a symlink to tini-ts-node)')
    const unpacked = entries.reduce((n, e) => n + (e.mode.startsWith('-') ? e.size : 0), 0)
    t.ok(unpacked <= 112 * MiB, `unpacked ${(unpacked / MiB).toFixed(1)} MiB <= 112 MiB (gzipped ${(fs.statSync(tgz).size / MiB).toFixed(1)} MiB)`)

    const dir = fs.mkdtempSync(path.join(tmpdir(), `tini-ts-bundle-${arch}-`))
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
    t.equal(spawnSync('tar', ['-xzf', tgz, '-C', dir]).status, 0, 'unpacks')
    const top = path.join(dir, 'opt', 'tini-ts')
    const hdr = spawnSync('readelf', ['-lW', path.join(top, 'tini-ts-node')], { encoding: 'utf8' }).stdout
    t.match(hdr, `[Requesting program interpreter: /opt/tini-ts/lib/${LOADER[arch]}]`, 'interpreter: the bundled loader')
    for (const f of ['tini-ts-node', 'tini_native.node']) {
      const dyn = spawnSync('readelf', ['-dW', path.join(top, f)], { encoding: 'utf8' }).stdout
      t.match(dyn, /\(RPATH\)\s+Library rpath: \[\/opt\/tini-ts\/lib\]/, `${f}: DT_RPATH /opt/tini-ts/lib (searched before LD_LIBRARY_PATH and the image's ld.so.cache)`)
      t.notMatch(dyn, /\(RUNPATH\)/, `${f}: no DT_RUNPATH`)
    }
    const lic = (f: string) => fs.readFileSync(path.join(top, 'licenses', f), 'utf8')
    const glibc = arch === 'x64' ? 'libc6' : 'libc6-arm64-cross'
    t.match(lic(`${glibc}.copyright`), /GNU C Library/, 'glibc\'s copyright')
    t.match(lic('LGPL-2.1'), /GNU LESSER GENERAL PUBLIC LICENSE\s+Version 2\.1/, 'the LGPL 2.1 text')
    const gcc = arch === 'x64' ? 'libstdc++6' : 'libstdc++6-arm64-cross'
    t.match(lic(`${gcc}.copyright`), /GCC RUNTIME LIBRARY EXCEPTION/, 'libstdc++: the GCC runtime library exception')
    t.match(lic('GPL-3'), /GNU GENERAL PUBLIC LICENSE\s+Version 3/, 'the GPL 3 text it refers to')
    t.match(lic('node.LICENSE'), /Node\.js is licensed for use as follows/, 'Node\'s LICENSE')
    t.match(lic('SOURCES'), new RegExp(`lib/libc\\.so\\.6: .* of Debian package ${glibc.replace(/[+]/g, '\\+')} \\S+ \\(source \\S+ \\S+\\)`), 'SOURCES names the Debian package and version of libc.so.6')
  })
}

t.test('dist/tini-ts is at most 110 MiB (stripped by default)', async (t) => {
  const exe = fs.existsSync(path.join(DIST, 'tini-ts-node')) ? path.join(DIST, 'tini-ts-node') : path.join(DIST, 'tini-ts')
  const size = fs.statSync(exe).size
  t.ok(size <= 110 * MiB, `${path.basename(exe)}: ${(size / MiB).toFixed(1)} MiB`)
  t.notMatch(spawnSync('file', [exe], { encoding: 'utf8' }).stdout, /not stripped/, 'no symbol tables')
})

t.test('the debug build keeps the symbols: TINI_TS_NO_STRIP=1 (control for the stripped default)', async (t) => {
  const dir = fs.mkdtempSync(path.join(DIST, '.test-nostrip-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const out = path.join(dir, 'tini-ts')
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-sea.mjs'), '--arch', process.arch, '--out', out, '--quiet'],
    { encoding: 'utf8', env: { ...process.env, TINI_TS_NO_STRIP: '1' } })
  t.equal(r.status, 0, r.stderr)
  t.match(spawnSync('file', [out], { encoding: 'utf8' }).stdout, /not stripped/, 'symbol tables kept')
  const node = fs.existsSync(path.join(DIST, 'tini-ts-node')) ? path.join(DIST, 'tini-ts-node') : path.join(DIST, 'tini-ts')
  t.ok(fs.statSync(out).size > fs.statSync(node).size, `bigger: ${(fs.statSync(out).size / MiB).toFixed(1)} MiB`)
  const run = spawnSync(out, ['-s', '--', 'sh', '-c', 'exit 4'], { encoding: 'utf8' })
  t.equal(run.status, 4, `and it runs (${run.stderr})`)
})

t.test('rebuilding from the same executables gives the same tarball', { skip: fs.existsSync(path.join(DIST, 'tini-ts-portable-linux-x64.tar.gz')) ? false : 'no x64 bundle' }, async (t) => {
  const tgz = path.join(DIST, 'tini-ts-portable-linux-x64.tar.gz')
  const epoch = Date.parse(tarList(tgz)[0].time) / 1000
  const work = fs.mkdtempSync(path.join(DIST, '.test-portable-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  fs.mkdirSync(path.join(work, 'linux-x64'))
  const src = fs.existsSync(path.join(DIST, 'linux-x64')) ? path.join(DIST, 'linux-x64') : DIST
  for (const f of ['tini-ts', 'tini-ts-node', 'tini_native.node']) {
    if (fs.existsSync(path.join(src, f))) fs.linkSync(path.join(src, f), path.join(work, 'linux-x64', f))
  }
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-portable.mjs'), '--arch', 'x64', '--dist', work, '--quiet'],
    { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } })
  t.equal(r.status, 0, r.stderr)
  t.equal(sha256(path.join(work, 'tini-ts-portable-linux-x64.tar.gz')), sha256(tgz), 'byte for byte the same')
})
