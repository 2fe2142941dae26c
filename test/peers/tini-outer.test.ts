// tini's test/run_outer_tests.py (Python 2, made Python 3 by lib2to3 at run
// time, in a scratch copy) with `docker` replaced by test/peers/bin/docker:
// `unshare --pid --fork --mount-proc`, tini-ts as PID 1 of the namespace;
// `--tty` gives it a new terminal (a pty), and `docker attach` types into it
// (test/peers/docker-attach.c). Its functional checks (reaping,
// SIGTERM/USR1/USR2 from outside, -z, -h, a missing program) and both TTY
// checks (an interactive dash ended by `exit 0`; Ctrl-C ending a loop: 130)
// must pass; the rest are documented deviations (README).
import t from 'tap'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inPrivatePidNamespace, missingPython, PEERS, peerEnv, peerSources, scratchBin, tiniTsBinary } from './peers'

const sources = peerSources()
const noPython = missingPython(['psutil', 'pexpect', 'lib2to3'])
if (typeof sources === 'string' || noPython) {
  t.comment(`SKIP tini's outer tests: ${typeof sources === 'string' ? sources : noPython}`)
  t.pass('skipped: ' + (typeof sources === 'string' ? sources : noPython))
} else {
  t.test('test/run_outer_tests.py in a PID namespace', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'tini-ts-outer-'))
    const scratch = scratchBin()
    t.teardown(() => {
      rmSync(root, { recursive: true, force: true })
      rmSync(scratch, { recursive: true, force: true })
    })
    cpSync(join(sources.tini, 'test'), join(root, 'test'), { recursive: true })
    const conv = spawnSync('/usr/bin/python3', ['-m', 'lib2to3', '-w', '-n', join(root, 'test', 'run_outer_tests.py')], { encoding: 'utf8' })
    t.equal(conv.status, 0, 'lib2to3 converted the script')
    const attach = join(scratch, 'docker-attach')
    const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', attach, join(PEERS, 'docker-attach.c')], { encoding: 'utf8' })
    t.equal(cc.status, 0, 'docker-attach.c compiled', { stderr: cc.stderr })
    const IMAGE = 'tini-ts-host'
    const env = peerEnv(
      { TINI_TS: tiniTsBinary(), DOCKER_SHIM_IMAGE: IMAGE, DOCKER_SHIM_STATE: join(root, 'state'), DOCKER_SHIM_ATTACH: attach, PEER_SKIP: 'valgrind' },
      [join(__dirname, 'bin'), join(scratch, 'bin')],
    )
    const script = join(root, 'test', 'run_outer_tests.py')
    const [file, ...args] = inPrivatePidNamespace(['/usr/bin/python3', join(__dirname, 'sections.py'), 'py-each', 'outer', script, IMAGE])
    const r = spawnSync(file as string, args, { env, cwd: root, encoding: 'utf8', timeout: 250_000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] })
    const out = r.stdout ?? ''
    // One line per Command: "Testing 'docker run ...'... OK|FAIL"
    const checks = [...out.matchAll(/^Testing '(docker run .*?)'\.\.\. (OK|FAIL)$/gm)].map((m) => ({ cmd: m[1] as string, ok: m[2] === 'OK' }))
    const functional = checks.filter((c) => c.cmd.includes('--entrypoint='))
    t.ok(functional.length >= 8, `${functional.length} functional checks ran`)
    for (const c of functional) {
      if (/ -w$/.test(c.cmd)) {
        t.notOk(c.ok, `deviation, as tini: \`tini -w\` without a program exits 1 (tini 0.19 too): ${c.cmd}`)
        const tini = spawnSync('/usr/bin/tini', ['-w'], { encoding: 'utf8' })
        t.equal(tini.status, 1, 'oracle: tini 0.19 exits 1 there too')
      } else {
        t.ok(c.ok, c.cmd, { output: c.ok ? undefined : out.slice(-3000) })
      }
    }
    const results = out.split('\n').filter((l) => l.startsWith('PEER-RESULT ')).map((l) => JSON.parse(l.slice(12)) as { section: string; ok: boolean })
    const valgrind = results.find((x) => x.section.includes('valgrind'))
    t.ok(valgrind && !valgrind.ok, 'deviation: the valgrind section is skipped: Node under valgrind is not applicable')
    const tty = results.filter((x) => x.section.startsWith('test_tty_handling('))
    t.equal(tty.length, 2, 'both TTY sections ran')
    const dashExit = tty.find((x) => x.section.includes("'dash', attach_and_type_exit_0, 0"))
    const ctrlC = tty.find((x) => x.section.includes('attach_and_issue_ctrl_c, 128 + signal.SIGINT'))
    t.ok(dashExit?.ok, 'TTY: an interactive dash on the terminal, `exit 0` typed through docker attach: exit 0', { error: dashExit?.error })
    t.ok(ctrlC?.ok, 'TTY: Ctrl-C typed through docker attach ends the loop: exit 130', { error: ctrlC?.error })
    const install = results.find((x) => x.section.includes('pkg_manager'))
    t.ok(install && !install.ok, "deviation: the installation checks need tini's .deb/.rpm and ubuntu/centos images: not applicable")
    // The oracle: tini 0.19 through the same stand-in passes the TTY sections too.
    if (existsSync('/usr/bin/tini')) {
      const o = spawnSync(file as string, args, {
        env: { ...env, TINI_TS: '/usr/bin/tini', PEER_SKIP: '^(?!test_tty_handling\\()' },
        cwd: root, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'],
      })
      const oracle = (o.stdout ?? '').split('\n').filter((l) => l.startsWith('PEER-RESULT ')).map((l) => JSON.parse(l.slice(12)) as { section: string; ok: boolean })
      const otty = oracle.filter((x) => x.section.startsWith('test_tty_handling('))
      t.equal(otty.length, 2, 'oracle: both TTY sections ran with tini')
      t.ok(otty.every((x) => x.ok), 'oracle: tini passes both through the same stand-in', { results: otty })
    }
  })
}
