// Black-box: signals sent to tini-ts reach the program (print-signals fixture).
import t from 'tap'
import { execa } from 'execa'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { children, FIXTURES, killTree, procStat, sleep, tiniArgv, waitFor } from '../helpers/tini'
import { forwardedSignals } from '../../src/init/signals'

const PS = join(FIXTURES, 'print-signals.py')
const TMP = mkdtempSync(join(tmpdir(), 'tini-ts-sig-'))
t.teardown(() => rmSync(TMP, { recursive: true, force: true }))

/** Starts tini-ts ARGS; collects stdout lines. */
function start(t: any, args: string[], env: Record<string, string> = {}) {
  const [file, ...pre] = tiniArgv(args)
  const proc = execa(file, pre, { reject: false, timeout: 120_000, stdin: 'ignore', env: { TINI_SUBREAPER: '', ...env }, buffer: true })
  const lines: string[] = []
  let partial = ''
  proc.stdout!.on('data', (d: Buffer) => {
    partial += d.toString()
    const parts = partial.split('\n')
    partial = parts.pop() as string
    lines.push(...parts)
  })
  t.teardown(() => killTree(proc.pid))
  return { proc, lines, pid: proc.pid as number }
}

const fileLines = (f: string) => {
  try {
    return readFileSync(f, 'latin1').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

t.test('every forwardable signal, standard and real-time, reaches the program', async (t) => {
  const { proc, lines, pid } = start(t, ['--', 'python3', PS, '15'])
  await waitFor('ready', () => lines.some((l) => l.startsWith('ready')))
  const sigs = forwardedSignals().filter((s) => s !== 15)
  for (const s of sigs) {
    process.kill(pid, s)
    await waitFor(`signal ${s} printed`, () => lines.some((l) => l.startsWith(`${s} `)), 15_000)
  }
  const got = lines.filter((l) => /^\d+ /.test(l)).map((l) => Number(l.split(' ')[0]))
  t.same(got, sigs, `each of ${sigs.length} signals delivered once, in order`)
  t.equal(procStat(pid)?.state === 'T', false, 'SIGTSTP did not stop the init')
  process.kill(pid, 'SIGTERM')
  const r = await proc
  t.equal(r.exitCode, 0, 'program exited 0 on SIGTERM; the init with it')
  t.equal(lines[lines.length - 1], '15 SIGTERM')
  t.equal(r.stderr, '', 'no warnings')
})

t.test('SIGTTIN/SIGTTOU: ignored by the init, not stopping it, not forwarded', async (t) => {
  const { proc, lines, pid } = start(t, ['--', 'python3', PS, '15'])
  await waitFor('ready', () => lines.some((l) => l.startsWith('ready')))
  process.kill(pid, 'SIGTTIN')
  process.kill(pid, 'SIGTTOU')
  process.kill(pid, 'SIGUSR1') // a marker that does get through
  await waitFor('marker', () => lines.some((l) => l.startsWith('10 ')))
  t.not(procStat(pid)?.state, 'T', 'init not stopped')
  t.notOk(lines.some((l) => /^2[12] /.test(l)), 'program got neither SIGTTIN nor SIGTTOU')
  process.kill(pid, 'SIGTERM')
  t.equal((await proc).exitCode, 0)
})

t.test('SIGTERM to the init: the program dies of it, the init exits 143', async (t) => {
  const { proc, pid } = start(t, ['--', 'sleep', '60'])
  await waitFor('sleep running', () => children(pid).some((c) => c.comm === 'sleep'))
  process.kill(pid, 'SIGTERM')
  t.equal((await proc).exitCode, 143)
})

t.test('-g: signals go to the program\'s process group; without -g to the program only', async (t) => {
  for (const group of [true, false]) {
    const out = join(TMP, `group-${group}`)
    // sh ignores USR1 (trap ""), its background python catches everything.
    const args = [...(group ? ['-g'] : []), '--', 'sh', '-c', `trap "" USR1; python3 ${PS} > ${out} & wait`]
    const { proc, pid } = start(t, args)
    await waitFor('ready', () => fileLines(out).some((l) => l.startsWith('ready')))
    const py = Number(fileLines(out)[0].split(' ')[1])
    process.kill(pid, 'SIGUSR1')
    process.kill(py, 'SIGUSR2') // direct, as a marker that the grandchild is listening
    await waitFor('marker', () => fileLines(out).some((l) => l.startsWith('12 ')))
    if (group) await waitFor('USR1 via group', () => fileLines(out).some((l) => l.startsWith('10 ')))
    else await sleep(300)
    t.equal(fileLines(out).some((l) => l.startsWith('10 ')), group, group ? '-g: grandchild got SIGUSR1' : 'control: without -g it did not')
    process.kill(py, 'SIGKILL')
    const r = await proc
    t.equal(r.exitCode, 0, 'sh exits 0 once its background job is gone')
  }
})

t.test('TINI_KILL_PROCESS_GROUP works like -g', async (t) => {
  const out = join(TMP, 'group-env')
  const { proc, pid } = start(t, ['--', 'sh', '-c', `trap "" USR1; python3 ${PS} 10 > ${out} & wait`], { TINI_KILL_PROCESS_GROUP: '1' })
  await waitFor('ready', () => fileLines(out).some((l) => l.startsWith('ready')))
  process.kill(pid, 'SIGUSR1')
  await waitFor('USR1 via group', () => fileLines(out).some((l) => l.startsWith('10 ')))
  t.equal((await proc).exitCode, 0)
})

t.test('-p SIGTERM: when the init\'s parent dies it gets SIGTERM and passes it on', async (t) => {
  for (const withP of [true, false]) {
    const out = join(TMP, `pdeath-${withP}`)
    const tini = tiniArgv([...(withP ? ['-p', 'SIGTERM'] : []), '-s', '--', 'python3', PS, '15'])
    // sh starts tini-ts in the background, prints its pid, and exits when
    // its stdin closes: the init's parent dies.
    const parent = execa('sh', ['-c', '"$@" > ' + out + ' 2>' + out + '.err & echo $!; read x', 'sh', ...tini], { reject: false, timeout: 60_000, stdin: 'pipe' })
    t.teardown(() => killTree(parent.pid))
    let tpid = 0
    parent.stdout!.on('data', (d: Buffer) => (tpid = tpid || Number(d.toString().trim())))
    await waitFor('ready', () => fileLines(out).some((l) => l.startsWith('ready')))
    const py = Number(fileLines(out)[0].split(' ')[1])
    t.teardown(() => killTree(tpid))
    t.teardown(() => killTree(py))
    parent.stdin!.end()
    await parent
    if (withP) {
      await waitFor('SIGTERM forwarded', () => fileLines(out).includes('15 SIGTERM'))
      await waitFor('init gone', () => !procStat(tpid) || procStat(tpid)?.state === 'Z')
      t.pass('program got SIGTERM and the init exited')
    } else {
      await sleep(500)
      t.notOk(fileLines(out).includes('15 SIGTERM'), 'control: without -p nothing happens')
      t.ok(procStat(tpid) && procStat(tpid)?.state !== 'Z', 'control: the init lives on')
    }
  }
})
