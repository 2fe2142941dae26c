// --demo: the built-in workload. The same leaky workload (a parent that
// orphans short-lived children, like an exec probe that backgrounds work) runs
// twice: once where PID 1 never calls wait(), once where tini-ts is PID 1.
// Live zombie counts for both, then a summary. Needs no files of its own: the
// workload is a POSIX sh loop, the init under test is this very executable.
//
// Where it may (root), each run gets a private PID namespace
// (unshare --pid --fork --mount-proc) and the workload enters it with nsenter,
// as `kubectl exec` enters a container. Otherwise it uses subreaper mode: the
// orphans are re-parented to a child subreaper, first this Node process
// (libuv reaps only the children it spawned itself, so nothing reaps them),
// then `tini-ts -s`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import { isatty } from 'node:tty'
import { scanProcesses } from '../init/process-tree'

const ORPHANS = 24
/** One orphan every STEP seconds; each lives LIFE seconds, then dies. */
const STEP = 0.15
const LIFE = 0.1
const LEAKY_WORKLOAD = `i=0; while [ $i -lt ${ORPHANS} ]; do (sleep ${LIFE} &); i=$((i+1)); sleep ${STEP}; done; sleep 0.4`

type Mode = 'namespace' | 'subreaper'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** How to run this very program again: the executable alone (single
 * executable), or node plus the script (npm install). */
function selfCommand(): string[] {
  const script = process.argv[1]
  return !script || script === process.execPath ? [process.execPath] : [process.execPath, script]
}

function canUseNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' })
  return r.status === 0
}

function zombiesOf(parent: number): number {
  return scanProcesses().filter((p) => p.ppid === parent && p.state === 'Z').length
}

async function waitForChildOf(pid: number, timeoutMs = 3000): Promise<number> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const c = scanProcesses().find((p) => p.ppid === pid)
    if (c) return c.pid
    await sleep(20)
  }
  throw new Error(`no process started under pid ${pid}`)
}

class Screen {
  private drawn = 0
  private readonly tty = fs.existsSync('/proc/self/fd/1') && isatty(1)
  constructor(private readonly out: (s: string) => void) {}

  draw(rows: [string, number | undefined, string][], final = false): void {
    const width = 30
    const lines = rows.map(([label, n, note]) => {
      const count = n === undefined ? '' : String(n)
      const bar = n === undefined ? '' : '#'.repeat(Math.min(width, n))
      return `  ${label.padEnd(28)} ${count.padStart(3)} ${bar.padEnd(width)} ${note}`
    })
    if (this.tty) {
      if (this.drawn) this.out(`\x1b[${this.drawn}A`)
      this.out(lines.map((l) => `\x1b[2K${l}\n`).join(''))
      this.drawn = lines.length
    } else if (final) {
      this.out(lines.join('\n') + '\n')
    }
  }
}

/** One phase: start the reaper candidate, run the workload under it, sample. */
async function phase(
  mode: Mode,
  useInit: boolean,
  onSample: (n: number) => void,
): Promise<number> {
  let holder: ChildProcess
  let reaper: number
  let workload: ChildProcess
  const self = selfCommand()
  if (mode === 'namespace') {
    // PID 1 of the namespace: `sleep` (never waits) or tini-ts.
    const pid1 = useInit ? [...self, '--', 'sleep', '60'] : ['sleep', '60']
    holder = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL', ...pid1], {
      stdio: 'ignore',
    })
    reaper = await waitForChildOf(holder.pid as number)
    workload = spawn('nsenter', ['-t', String(reaper), '-p', '-m', '--', 'sh', '-c', LEAKY_WORKLOAD], { stdio: 'ignore' })
  } else if (useInit) {
    holder = spawn(self[0], [...self.slice(1), '-s', '--', 'sh', '-c', LEAKY_WORKLOAD], { stdio: 'ignore' })
    reaper = holder.pid as number
    workload = holder
  } else {
    // This process becomes the subreaper and never reaps what it did not spawn.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the addon loads only in this branch
    const { loadNative } = require('../runtime/native-loader') as typeof import('../runtime/native-loader')
    loadNative().setSubreaper()
    holder = spawn('sh', ['-c', LEAKY_WORKLOAD], { stdio: 'ignore' })
    reaper = process.pid
    workload = holder
  }
  const finished = new Promise<void>((r) => workload.once('exit', () => r()))
  let done = false
  void finished.then(() => (done = true))
  let last: number
  while (!done) {
    last = zombiesOf(reaper)
    onSample(last)
    await sleep(200)
  }
  await sleep(300)
  last = zombiesOf(reaper)
  onSample(last)
  if (mode === 'namespace') {
    // unshare ignores SIGTERM while it waits; killing PID 1 ends the namespace
    // and everything in it, zombies included.
    process.kill(reaper, 'SIGKILL')
    await new Promise((r) => (holder.exitCode !== null ? r(null) : holder.once('exit', r)))
  } else {
    holder.kill('SIGTERM')
  }
  return last
}

export async function runDemo(out: (s: string) => void = (s) => void fs.writeSync(1, s)): Promise<number> {
  const mode: Mode = canUseNamespaces() ? 'namespace' : 'subreaper'
  out(
    `tini-ts demo: a workload that orphans ${ORPHANS} short-lived children, twice.\n` +
      (mode === 'namespace'
        ? 'Mode: private PID namespaces (root). PID 1 is `sleep` (never calls wait), then tini-ts;\n' +
          'the workload enters each namespace with nsenter, as kubectl exec enters a container.\n\n'
        : 'Mode: subreaper (not root, or no PID namespaces). The orphans go to a child subreaper:\n' +
          'first this process, which never reaps them, then `tini-ts -s`.\n\n'),
  )
  const screen = new Screen(out)
  const rows: [string, number | undefined, string][] = [
    ['zombies without an init', undefined, 'waiting'],
    ['zombies with tini-ts', undefined, 'waiting'],
  ]
  const show = (final = false) => screen.draw(rows, final)
  rows[0][2] = 'running'
  const without = await phase(mode, false, (n) => {
    rows[0][1] = n
    show()
  })
  rows[0][2] = 'done'
  rows[1][2] = 'running'
  const withInit = await phase(mode, true, (n) => {
    rows[1][1] = n
    show()
  })
  rows[1][2] = 'done'
  show(true)
  out(
    `\nSummary (${mode} mode):\n` +
      `  without an init: ${without} zombies left behind; they stay until the process they were re-parented to waits for them.\n` +
      `  with tini-ts:    ${withInit} zombies; every orphan was reaped as it died.\n` +
      `Fix: ENTRYPOINT ["tini-ts", "--"], or wrap probes: tini-ts -s --timeout 400ms --grace 200ms -- <probe command>\n` +
      // The rule of README "Kubernetes probe recipe": --timeout + --grace + 0.4 s <= timeoutSeconds.
      `     (for timeoutSeconds: 1; keep --timeout + --grace at least 0.4 s below the probe's timeoutSeconds).\n`,
  )
  return without > 0 && withInit === 0 ? 0 : 1
}
