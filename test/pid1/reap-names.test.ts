// With -w (and in JSON), a reaped orphan's line names it: tini-ts reads the
// zombie's /proc entry before the reap. That read costs as much as the rest
// of the reap, so it has a budget per window of time (native/zombie_stat.c):
// an orphan now and then is always named; in a burst, the lines past the
// budget give the pid alone, as tini's do. Every orphan still gets its line.
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'
import { FIXTURES, killTree, tiniArgv } from '../helpers/tini'

const STORM = join(FIXTURES, 'orphan-storm.py')
const REAPED = /Reaped zombie process with pid=(\d+)( \(([^)]*)\))?$/

async function asPid1(t: any, flags: string[], storm: string[]) {
  const argv = ['unshare', '--pid', '--fork', '--mount-proc', ...tiniArgv([...flags, '--', 'python3', STORM, ...storm])]
  const p = execa(argv[0] as string, argv.slice(1), { reject: false, timeout: 180_000, stdin: 'ignore' })
  t.teardown(() => killTree(p.pid))
  const r = await p
  t.equal(r.stdout, 'zombies=0', 'every orphan reaped')
  t.equal(r.exitCode, 0, "the program's status")
  return r.stderr.split('\n').filter(Boolean)
}

/** Per reaped orphan: its pid and name ('' when the line has none). */
function textLines(lines: string[]) {
  return lines.flatMap((l) => {
    const m = REAPED.exec(l)
    return m ? [{ pid: Number(m[1]), name: m[3] ?? '' }] : []
  })
}
function jsonLines(lines: string[]) {
  return lines.map((l) => JSON.parse(l)).filter((o) => o.event === 'reaped').map((o) => ({ pid: o.pid as number, name: (o.comm as string | undefined) ?? '' }))
}

for (const [mode, flags, parse] of [['-w', ['-w'], textLines], ['-vv', ['-vv'], textLines], ['json', ['-w', '--log-format', 'json'], jsonLines]] as const) {
  t.test(`${mode}: a few orphans (control): every line names its orphan`, async (t) => {
    const reaps = parse(await asPid1(t, [...flags], ['10', 'drain', '60']))
    t.equal(reaps.length, 10, 'a line per orphan')
    t.same(reaps.filter((r) => r.name !== 'python3'), [], 'each named (the fixture forks python3)')
  })

  t.test(`${mode}: a burst of 5000 orphans dying at once: a line for each, names only within the budget`, async (t) => {
    const lines = await asPid1(t, [...flags], ['5000', 'drain', '120', 'together'])
    const reaps = parse(lines.filter((l) => !l.includes('log line(s) dropped')))
    // stderr may fall behind (the writer drops lines then, and counts them)
    const dropped = lines.map((l) => /(\d+) log line\(s\) dropped/.exec(l)).reduce((n, m) => n + (m ? Number(m[1]) : 0), 0)
    t.equal(reaps.length + dropped, 5000, `a line per orphan (${dropped} dropped and counted)`)
    t.equal(new Set(reaps.map((r) => r.pid)).size, reaps.length, 'each pid once')
    const named = reaps.filter((r) => r.name === 'python3').length
    t.ok(named > 0, `the budget's first reads are named (${named})`)
    t.ok(named < 5000, `past the budget the lines give the pid alone (${5000 - named} of 5000)`)
    t.same(reaps.filter((r) => r.name !== '' && r.name !== 'python3'), [], 'no other name')
  })
}
