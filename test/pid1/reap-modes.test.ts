// The program exits while an orphan it left
// still runs. tini exits at once with the program's status; tini-ts spun in
// reap_all() forever with -w/-vv/json (a stale EINTR after a waitid() that
// found nothing). Every logging mode, as subreaper and as PID 1.
import t from 'tap'
import { execa } from 'execa'
import { haveBinary, killTree, tiniArgv } from '../helpers/tini'
import { LOG_MODES } from '../helpers/log-modes'

const PROGRAM = ['sh', '-c', 'sleep 30 & sleep 0.3; exit 0']
const PROMPT_MS = 5_000 // the sleep 30 would take 30 s; a spin never ends

async function timed(argv: string[], t: any) {
  const started = Date.now()
  const p = execa(argv[0] as string, argv.slice(1), { reject: false, timeout: 20_000, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' })
  t.teardown(() => killTree(p.pid))
  const r = await p
  return { exitCode: r.exitCode, timedOut: r.timedOut, ms: Date.now() - started }
}

for (const mode of LOG_MODES) {
  t.test(`mode ${mode.name}: an orphan still running does not keep the init up`, async (t) => {
    if (haveBinary('tini')) {
      const oracle = await timed(['tini', '-s', ...mode.tiniFlags, '--', ...PROGRAM], t)
      t.equal(oracle.exitCode, 0, 'oracle: tini exits 0')
      t.ok(oracle.ms < PROMPT_MS, `oracle: tini exits promptly (${oracle.ms} ms)`)
    }
    const sub = await timed(tiniArgv(['-s', ...mode.flags, '--', ...PROGRAM]), t)
    t.notOk(sub.timedOut, 'subreaper: no hang')
    t.equal(sub.exitCode, 0, 'subreaper: exits with the program\'s status, 0')
    t.ok(sub.ms < PROMPT_MS, `subreaper: exits promptly (${sub.ms} ms)`)
    const pid1 = await timed(['unshare', '--pid', '--fork', '--mount-proc', ...tiniArgv([...mode.flags, '--', ...PROGRAM])], t)
    t.notOk(pid1.timedOut, 'PID 1: no hang')
    t.equal(pid1.exitCode, 0, 'PID 1: exits 0 (the orphan dies with the namespace)')
    t.ok(pid1.ms < PROMPT_MS, `PID 1: exits promptly (${pid1.ms} ms)`)
  })
}
