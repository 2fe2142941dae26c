// Probe wrappers in a real container: redis-server stays PID 1 (no init, as
// in many images), and the probes themselves are wrapped, entering with
// `runc exec` as a kubelet's exec does. `tini-ts -s --`, as written, leaves
// no zombie behind, whatever the probe's shape and the logging mode; a hung
// probe under `--timeout` ends with 124 and leaves nothing. The controls (the
// same probes unwrapped pile up zombies) are here and in redis-control.test.ts.
import t from 'tap'
import { psInContainer, zombies } from '../helpers/container-ps'
import { PROBES, REDIS_ARGS, SOCK, mapLimit, waitRedisReady } from '../helpers/redis'
import { destroy, distMissing, exec, sleep, start } from '../helpers/runc'
import { waitFor } from '../helpers/tini'

const missing = distMissing()
if (missing) {
  t.fail(missing)
} else {
  t.test('probes wrapped in tini-ts -s --cleanup leave no zombie under a non-reaping PID 1', async (t) => {
    const c = await start({ name: 'redis-probe-wrap', args: REDIS_ARGS, tini: true })
    t.teardown(() => destroy(c))
    await waitRedisReady(c)
    t.equal(psInContainer(c).find((p) => p.pid === 1)?.comm, 'redis-server', 'redis-server is PID 1, no init')

    const wrapped = ['/usr/local/bin/tini-ts', '-s', '--cleanup', '--', 'sh', '-c', `sleep 0.3 & exec redis-cli -s ${SOCK} ping`]
    const results = await mapLimit(Array.from({ length: PROBES }), 5, () => exec(c, wrapped))
    t.equal(results.filter((r) => r.exitCode === 0 && r.stdout.trim() === 'PONG').length, PROBES, `all ${PROBES} probes answered PONG, exit 0`)
    await sleep(1000) // past the survivors' 0.3 s: an absence (control: the unwrapped shapes below leave zombies)
    t.same(zombies(c), [], 'no zombie in the container')
    t.same(psInContainer(c).filter((p) => p.comm === 'sleep'), [], 'no leftover sleep either')
  })

  // The probe shapes (test/pid1/probe-shapes.test.ts runs them through nsenter).
  const R = `redis-cli -s ${SOCK} ping`
  const SHAPES: { name: string; script: string; code: number; pong: boolean; tini?: string[]; control?: string[] }[] = [
    { name: 'backgrounded survivor', script: `sleep 0.3 & ${R}`, code: 0, pong: true },
    { name: 'setsid daemon', script: `setsid -f sleep 0.3; ${R}`, code: 0, pong: true },
    { name: 'double fork', script: `(sleep 0.2 &); ${R}`, code: 0, pong: true },
    // the answer first: a shell waiting for a foreground command reaps finished jobs too
    { name: 'dead child never waited for', script: `${R}; sleep 0.05 & exec sleep 0.3`, code: 0, pong: true },
    { name: 'failing probe', script: 'sleep 0.3 & exit 1', code: 1, pong: false },
    { name: 'hung probe', script: 'sleep 0.6 & sleep 30', code: 124, pong: false, tini: ['--timeout', '300ms'], control: ['timeout', '--foreground', '-s', 'KILL', '0.3'] },
  ]
  const MODES = [[], ['-w'], ['-vv'], ['--log-format', 'json', '-v']]

  t.test('control: the same shapes unwrapped leave zombies of PID 1', async (t) => {
    const c = await start({ name: 'redis-shapes-control', args: REDIS_ARGS, tini: true })
    t.teardown(() => destroy(c))
    await waitRedisReady(c)
    for (const s of SHAPES) {
      const before = zombies(c).length
      const r = await exec(c, [...(s.control ?? []), 'sh', '-c', s.script])
      if (s.pong) t.equal(r.stdout.trim(), 'PONG', `${s.name}: answered`)
      // Handshake: poll until the survivor has died unreaped (each shape leaves one).
      const n = await waitFor(`${s.name}: a zombie of PID 1`, () => zombies(c).length > before && zombies(c).length, 10_000, 50).catch(() => zombies(c).length)
      t.ok(n > before, `${s.name}: left a zombie (${n - before})`)
    }
    t.ok(zombies(c).every((z) => z.ppid === 1), 'all of them children of PID 1 (redis-server)')
    // --zombies tells these apart as probe leftovers
    const z = await exec(c, ['/usr/local/bin/tini-ts', '--zombies'])
    t.equal(z.exitCode, 1, '--zombies: exit 1')
    t.match(z.stdout, /(All were|\d+ of them were) left by commands exec'd into the container .* wrap each probe: tini-ts -s --timeout 400ms --grace 200ms/, '--zombies names the probe wrapper')
  })

  t.test("control for --zombies: PID 1's own unreaped children get no probe advice", async (t) => {
    const own = 'import os, time\nfor i in range(3):\n    os.fork() or os._exit(0)\ntime.sleep(300)\n'
    const c = await start({ name: 'own-zombies', args: ['python3', '-c', own], tini: true })
    t.teardown(() => destroy(c))
    for (let i = 0; i < 50 && zombies(c).length < 3; i++) await sleep(100)
    const z = await exec(c, ['/usr/local/bin/tini-ts', '--zombies'])
    t.equal(z.exitCode, 1, '--zombies: exit 1')
    t.match(z.stdout, /3 zombies in this PID namespace/, 'the three zombies are found')
    t.notMatch(z.stdout, /wrap each probe/, 'no probe advice')
  })

  t.test('tini-ts -s as written: every shape, every logging mode, nothing left', async (t) => {
    const c = await start({ name: 'redis-shapes', args: REDIS_ARGS, tini: true })
    t.teardown(() => destroy(c))
    await waitRedisReady(c)
    const runs = SHAPES.flatMap((s) => MODES.map((m) => ({ s, m })))
    const results = await mapLimit(runs, 4, ({ s, m }) => exec(c, ['/usr/local/bin/tini-ts', '-s', ...m, ...(s.tini ?? []), '--', 'sh', '-c', s.script]))
    runs.forEach(({ s, m }, i) => {
      const r = results[i]
      t.equal(r.exitCode, s.code, `${s.name} ${m.join(' ')}: exit ${s.code}`)
      if (s.pong) t.equal(r.stdout.trim(), 'PONG', `${s.name} ${m.join(' ')}: answered`)
      if (m.length === 0 && s.code !== 124) t.equal(r.stderr, '', `${s.name}: nothing on stderr by default`)
      if (m[0] === '--log-format') t.ok(r.stderr.trim().split('\n').every((l) => typeof JSON.parse(l).event === 'string'), `${s.name}: json lines`)
    })
    await sleep(1000) // past every survivor's own lifetime
    t.same(zombies(c), [], 'no zombie in the container')
    t.same(psInContainer(c).filter((p) => p.pid !== 1).map((p) => p.argv.join(' ')), [], 'nothing but PID 1 is left')
  })

  t.test('a TERM-ignoring survivor holding stdout: runc exec returns within the grace period', async (t) => {
    const c = await start({ name: 'redis-probe-eof', args: REDIS_ARGS, tini: true })
    t.teardown(() => destroy(c))
    await waitRedisReady(c)
    const script = `(trap '' TERM; exec sleep 3) & ${R}`
    let t0 = Date.now()
    let r = await exec(c, ['/usr/local/bin/tini-ts', '-s', '--no-cleanup', '--', 'sh', '-c', script])
    const control = Date.now() - t0
    t.equal(r.stdout.trim(), 'PONG')
    t.ok(control >= 2500, `control (--no-cleanup, tini's way): the answer waits ${control} ms for the survivor`)
    // Handshake: the survivor (sleep 3) has died, as a zombie of PID 1 (redis-server).
    await waitFor('the control\'s survivor to end', () => !psInContainer(c).some((p) => p.comm === 'sleep' && p.state !== 'Z'), 10_000, 50)
    const before = new Set(psInContainer(c).map((p) => p.hostPid)) // the control's zombie is there to stay
    // runc exec's own cost on this machine, with nothing left behind
    t0 = Date.now()
    await exec(c, ['/usr/local/bin/tini-ts', '-s', '--', 'sh', '-c', R])
    const base = Date.now() - t0
    t0 = Date.now()
    r = await exec(c, ['/usr/local/bin/tini-ts', '-s', '--grace', '300ms', '--', 'sh', '-c', script])
    const ms = Date.now() - t0
    t.equal(r.exitCode, 0)
    t.equal(r.stdout.trim(), 'PONG')
    t.ok(ms < base + 300 + 500, `answered in ${ms} ms: a plain probe's ${base} ms plus the 300 ms grace`)
    t.same(psInContainer(c).filter((p) => p.pid !== 1 && !before.has(p.hostPid)), [], 'nothing new but PID 1 is left')
  })

  t.test('a hung probe under --timeout exits 124 and leaves nothing', async (t) => {
    const c = await start({ name: 'redis-probe-hung', args: REDIS_ARGS, tini: true })
    t.teardown(() => destroy(c))
    await waitRedisReady(c)
    const r = await exec(c, ['/usr/local/bin/tini-ts', '-s', '--timeout', '0.5s', '--', 'sh', '-c', 'sleep 30 & sleep 30'])
    t.equal(r.exitCode, 124, 'exit 124')
    await sleep(500) // an absence, past the sleeps' own deaths had they been left (control: 'hung probe' unwrapped)
    const left = psInContainer(c).filter((p) => p.pid !== 1)
    t.same(left, [], 'nothing but PID 1 is left')
    t.same(zombies(c), [], 'no zombie')
  })
}
