// A small driver for runc, for the container test tier.
//
// Every container gets its own bundle in a fresh temporary directory:
//   <bundle>/config.json   `runc spec`, edited (no network namespace, no
//                          cgroup mount, terminal false, our process/mounts)
//   <bundle>/rootfs        an overlayfs mount: lower = the cached Debian
//                          rootfs (never modified), upper/work = <bundle>/ovl
//   <bundle>/stdout|stderr the container's stdio (files, never pipes: a
//                          detached container keeps its stdio open for its
//                          whole life, a pipe would hang whoever reads it)
//
// Two ways to start one:
//   start(opts)        `runc run -d --pid-file`: returns when it runs.
//   startAttached(opts) `runc run` in the foreground as a child of the test;
//                       `.exited` resolves to the container's exit status
//                       (runc run exits with the status of the container's
//                       init, i.e. what PID 1 returned).
// destroy(c) undoes everything and is safe to call twice and on failures:
// call it from t.teardown.
//
// The container's processes, seen from the host's /proc: container-ps.ts.
// The redis-server workload and the reaping scenario: redis.ts.
import { execa } from 'execa'
import type { Options, ResultPromise } from 'execa'
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs'
import { constants as osConstants, tmpdir } from 'node:os'
import { spawn, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'
import { ensureRootfs } from './rootfs'

export const REPO = resolve(__dirname, '..', '..')
/** dist/ of this checkout, or $TINI_TS_DIST: where tini-ts and its addon are. */
export const DIST = resolve(process.env.TINI_TS_DIST || join(REPO, 'dist'))
/** What runs as /usr/local/bin/tini-ts: the native front end, or the Node
 * executable itself when TINI_TS_BIN names it (the switch that forces the
 * Node path, as the other tiers have it). */
export const DIST_BIN = join(DIST, /(^|\/)tini-ts-node$/.test(process.env.TINI_TS_BIN ?? '') ? 'tini-ts-node' : 'tini-ts')
/** The Node executable, /usr/local/bin/tini-ts-node: the front end execs it. */
export const DIST_NODE = join(DIST, 'tini-ts-node')
export const DIST_ADDON = join(DIST, 'tini_native.node')

/** runc state directory of this tier, apart from any other runc user's. */
export const RUNC_ROOT = process.env.TINI_TS_RUNC_ROOT || '/run/tini-ts-runc'

export interface Mount {
  destination: string
  type: string
  source: string
  options?: string[]
}

export interface ContainerOpts {
  /** process.args: argv of the container's PID 1. */
  args: string[]
  /** Extra environment (PATH is always set). */
  env?: Record<string, string>
  uid?: number
  gid?: number
  cwd?: string
  /** root.readonly (default true, as `runc spec`). */
  readonlyRoot?: boolean
  /** Bind dist/tini-ts, dist/tini-ts-node (and, unless false, dist/tini_native.node) read-only into /usr/local/bin. */
  tini?: boolean
  tiniAddon?: boolean
  /** tmpfs on /tmp with noexec,nosuid,nodev (default true). */
  tmpNoexec?: boolean
  /** More mounts, appended after the defaults. */
  mounts?: Mount[]
  /** Keep a private network namespace (default false: share the host's). */
  netns?: boolean
  /** Container id prefix (a unique suffix is added). */
  name?: string
  /** The overlay's lower layers, topmost first (default: the cached Debian rootfs). */
  lower?: string[]
}

export interface Container {
  id: string
  bundle: string
  stdoutFile: string
  stderrFile: string
  /** Host pid of the container's init (PID 1 inside). */
  pid: number
  /** For startAttached only: the foreground runc, and its exit status. */
  runc?: ChildProcess
  exited?: Promise<number | null>
  destroyed: boolean
}

let seq = 0

export function runc(args: string[], opts: Options = {}): ResultPromise<Options> {
  return execa('runc', ['--root', RUNC_ROOT, ...args], { reject: false, ...opts } as Options)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// Ids and bundle names carry the test process's pid: `<name>-<pid>-<time>-<n>`.
const OWNER = /-(\d+)-[0-9a-z]+-\d+(?:-|$)/

let swept: Promise<void> | undefined

/**
 * Removes what test processes that died without their teardown (killed by a
 * timeout, say) left behind: their containers, overlay mounts and bundles.
 * Runs once per process, before its first container.
 */
export function sweepStale(): Promise<void> {
  if (!swept) swept = doSweep()
  return swept
}

async function doSweep(): Promise<void> {
  const stale = (name: string) => {
    const m = OWNER.exec(name)
    return !!m && Number(m[1]) !== process.pid && !alive(Number(m[1]))
  }
  const list = await runc(['list', '--format', 'json'])
  if (list.exitCode === 0) {
    const items = (JSON.parse(String(list.stdout) || 'null') ?? []) as { id: string }[]
    for (const { id } of items) if (stale(id)) await runc(['delete', '-f', id], { timeout: 20_000 })
  }
  const base = tmpdir()
  for (const d of readdirSync(base)) {
    if (!d.startsWith('runc-') || !stale(d)) continue
    const root = join(base, d, 'rootfs')
    if (isMounted(root)) await execa('umount', ['-l', root], { reject: false })
    if (!isMounted(root)) rmSync(join(base, d), { recursive: true, force: true })
  }
}

/** Make a bundle: config.json plus an overlay rootfs. */
export async function makeBundle(opts: ContainerOpts): Promise<{ id: string; bundle: string }> {
  if (process.getuid?.() !== 0) throw new Error('the container tier needs root (runc, overlay and bind mounts)')
  const lower = opts.lower ? opts.lower.join(':') : await ensureRootfs()
  await sweepStale()
  const id = `${opts.name ?? 'tini-ts'}-${process.pid}-${Date.now().toString(36)}-${seq++}`
  const bundle = mkdtempSync(join(tmpdir(), `runc-${id}-`))
  const r = await execa('runc', ['spec', '--bundle', bundle], { reject: false })
  if (r.exitCode !== 0) {
    rmSync(bundle, { recursive: true, force: true })
    const why = (r as { code?: string }).code === 'ENOENT' ? 'runc is not installed' : String(r.stderr || r.message)
    throw new Error(`runc spec failed: ${why} (install the tier's host packages with scripts/ci-install-system.sh)`)
  }
  const cfgPath = join(bundle, 'config.json')
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'))

  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...(opts.env ?? {}),
  }
  cfg.process.terminal = false
  cfg.process.args = opts.args
  cfg.process.env = Object.entries(env).map(([k, v]) => `${k}=${v}`)
  cfg.process.user = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 }
  cfg.process.cwd = opts.cwd ?? '/'
  cfg.root = { path: 'rootfs', readonly: opts.readonlyRoot ?? true }
  cfg.hostname = 'tini-ts-test'

  if (!opts.netns) {
    cfg.linux.namespaces = cfg.linux.namespaces.filter((n: { type: string }) => n.type !== 'network')
  }
  cfg.mounts = cfg.mounts.filter((m: Mount) => m.destination !== '/sys/fs/cgroup')
  if (opts.tmpNoexec ?? true) {
    cfg.mounts.push({
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['noexec', 'nosuid', 'nodev', 'mode=1777', 'size=65536k'],
    })
  }
  if (opts.tini) {
    cfg.mounts.push({
      destination: '/usr/local/bin/tini-ts',
      type: 'bind',
      source: DIST_BIN,
      options: ['bind', 'ro'],
    })
    cfg.mounts.push({
      destination: '/usr/local/bin/tini-ts-node',
      type: 'bind',
      source: DIST_NODE,
      options: ['bind', 'ro'],
    })
    if (opts.tiniAddon ?? true) {
      cfg.mounts.push({
        destination: '/usr/local/bin/tini_native.node',
        type: 'bind',
        source: DIST_ADDON,
        options: ['bind', 'ro'],
      })
    }
  }
  for (const m of opts.mounts ?? []) cfg.mounts.push(m)
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2))

  // A fresh overlay over the cached rootfs: the container may write to it
  // (if not read-only), the cache never sees it.
  const ovl = join(bundle, 'ovl')
  mkdirSync(join(ovl, 'upper'), { recursive: true })
  mkdirSync(join(ovl, 'work'), { recursive: true })
  mkdirSync(join(bundle, 'rootfs'))
  const m = await execa('mount', [
    '-t', 'overlay', 'overlay',
    '-o', `lowerdir=${lower},upperdir=${ovl}/upper,workdir=${ovl}/work`,
    join(bundle, 'rootfs'),
  ], { reject: false })
  if (m.exitCode !== 0) {
    rmSync(bundle, { recursive: true, force: true })
    throw new Error(`overlay mount failed: ${m.stderr}`)
  }
  return { id, bundle }
}

function stdioFiles(bundle: string) {
  const stdoutFile = join(bundle, 'stdout')
  const stderrFile = join(bundle, 'stderr')
  writeFileSync(stdoutFile, '')
  writeFileSync(stderrFile, '')
  return { stdoutFile, stderrFile }
}

/** `runc run -d`: returns once the container is running. */
export async function start(opts: ContainerOpts): Promise<Container> {
  const { id, bundle } = await makeBundle(opts)
  const { stdoutFile, stderrFile } = stdioFiles(bundle)
  const c: Container = { id, bundle, stdoutFile, stderrFile, pid: 0, destroyed: false }
  const pidFile = join(bundle, 'pid')
  // runc with terminal:false hands these very fds to the container, which
  // keeps them open for its whole life: they must be files (execa would wait
  // for the end of its streams, even when given fds, so spawn() is used).
  const r = await spawnToFiles(['run', '-d', '--pid-file', pidFile, '--bundle', bundle, id], stdoutFile, stderrFile, 30_000).exited
  if (r !== 0) {
    const err = readFileSync(stderrFile, 'utf8')
    await destroy(c)
    throw new Error(`runc run -d ${id} failed (exit ${r}): ${err}`)
  }
  c.pid = Number(readFileSync(pidFile, 'utf8').trim())
  return c
}

/**
 * `runc run` in the foreground, as a child of the test. Resolves once the
 * container has started (or already exited); `exited` gives its status.
 */
export async function startAttached(opts: ContainerOpts, startTimeoutMs = 20_000): Promise<Container> {
  const { id, bundle } = await makeBundle(opts)
  const { stdoutFile, stderrFile } = stdioFiles(bundle)
  const pidFile = join(bundle, 'pid')
  const child = spawnToFiles(['run', '--pid-file', pidFile, '--bundle', bundle, id], stdoutFile, stderrFile)
  const c: Container = { id, bundle, stdoutFile, stderrFile, pid: 0, runc: child.proc, destroyed: false }
  let done = false
  c.exited = child.exited.then((code) => {
    done = true
    return code
  })
  const deadline = Date.now() + startTimeoutMs
  while (!done && Date.now() < deadline) {
    if (existsSync(pidFile)) {
      const txt = readFileSync(pidFile, 'utf8').trim()
      if (txt) {
        c.pid = Number(txt)
        break
      }
    }
    await sleep(20)
  }
  if (!done && !c.pid) {
    await destroy(c)
    throw new Error(`container ${id} did not start within ${startTimeoutMs} ms`)
  }
  return c
}

export interface ExecResult {
  exitCode: number | undefined
  stdout: string
  stderr: string
}

/**
 * runc with stdin from /dev/null and stdout/stderr appended to files, through
 * spawn() so nothing waits for the ends of pipes. `exited` is the exit
 * status (or 128+signal), or null on a timeout.
 */
export function spawnToFiles(
  args: string[],
  stdoutFile: string,
  stderrFile: string,
  timeoutMs?: number,
): { proc: ChildProcess; exited: Promise<number | null> } {
  const out = openSync(stdoutFile, 'a')
  const err = openSync(stderrFile, 'a')
  let proc: ChildProcess
  try {
    proc = spawn('runc', ['--root', RUNC_ROOT, ...args], { stdio: ['ignore', out, err] })
  } finally {
    closeSync(out)
    closeSync(err)
  }
  const exited = new Promise<number | null>((resolve) => {
    let timer: NodeJS.Timeout | undefined
    if (timeoutMs) {
      timer = setTimeout(() => {
        proc.kill('SIGKILL')
        resolve(null)
      }, timeoutMs)
    }
    proc.on('error', () => {
      if (timer) clearTimeout(timer)
      resolve(127)
    })
    proc.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0))
    })
  })
  return { proc, exited }
}

/** `runc exec`: run a process in the container and wait for it. */
export async function exec(
  c: Container | string,
  args: string[],
  opts: { uid?: number; gid?: number; env?: string[]; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const id = typeof c === 'string' ? c : c.id
  const flags: string[] = []
  if (opts.uid !== undefined) flags.push('--user', `${opts.uid}:${opts.gid ?? opts.uid}`)
  for (const e of opts.env ?? []) flags.push('--env', e)
  const r = await runc(['exec', ...flags, id, ...args], {
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 30_000,
  })
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) }
}

export async function kill(c: Container | string, sig: string, all = false) {
  const id = typeof c === 'string' ? c : c.id
  return runc(['kill', ...(all ? ['--all'] : []), id, sig])
}

export interface State {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' | 'gone'
  pid?: number
}

/** `runc state`; status 'gone' when runc no longer knows the container. */
export async function state(c: Container | string): Promise<State> {
  const id = typeof c === 'string' ? c : c.id
  const r = await runc(['state', id])
  if (r.exitCode !== 0) return { status: 'gone' }
  const s = JSON.parse(String(r.stdout))
  return { status: s.status, pid: s.pid }
}

/** Poll until stopped (or gone); returns the last state seen. */
export async function waitStopped(c: Container | string, timeoutMs: number): Promise<State> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const s = await state(c)
    if (s.status === 'stopped' || s.status === 'gone' || Date.now() >= deadline) return s
    await sleep(50)
  }
}

export function readStdout(c: Container): string {
  return readFileSync(c.stdoutFile, 'utf8')
}

export function readStderr(c: Container): string {
  return readFileSync(c.stderrFile, 'utf8')
}

/** runc delete -f, stop a foreground runc, unmount the overlay, remove the bundle. */
export async function destroy(c: Container): Promise<void> {
  if (c.destroyed) return
  c.destroyed = true
  await runc(['delete', '-f', c.id], { timeout: 20_000 })
  if (c.runc && c.exited && c.runc.exitCode === null && c.runc.signalCode === null) {
    // runc delete -f killed the container: the foreground runc follows.
    await withTimeout(c.exited, 5_000)
    if (c.runc.exitCode === null && c.runc.signalCode === null) {
      c.runc.kill('SIGKILL')
      await c.exited
    }
  }
  const root = join(c.bundle, 'rootfs')
  for (let i = 0; i < 5 && isMounted(root); i++) {
    const r = await execa('umount', [root], { reject: false })
    if (r.exitCode !== 0) await sleep(200)
  }
  // Last resort, so the rm below never walks a live mount.
  if (isMounted(root)) await execa('umount', ['-l', root], { reject: false })
  rmSync(c.bundle, { recursive: true, force: true })
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === path)
}

/** p, or 'timeout' after ms (the timer never keeps the process alive). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const to = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms)
  })
  return Promise.race([p, to]).finally(() => clearTimeout(timer))
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Fails with a clear message when dist/ has not been built. */
export function distMissing(): string | undefined {
  const missing = [DIST_BIN, DIST_NODE, DIST_ADDON].filter((f) => !existsSync(f))
  if (missing.length === 0) return undefined
  return `missing ${missing.join(' and ')}: build dist/ first (npm run build, then npm run build:sea): the container tier runs the shipped executable`
}
