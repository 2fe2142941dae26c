// Issue 4 in a real container: redis-server stays PID 1 (no init, as in many
// images), and the probes themselves are wrapped: `tini-ts -s --cleanup`
// leaves no zombie behind, and a hung probe under `--timeout` ends with 124
// and leaves nothing. The control (same probes unwrapped pile up zombies) is
// redis-control.test.ts.
import t from 'tap'
import { PROBES, REDIS_ARGS, SOCK, destroy, distMissing, exec, mapLimit, psInContainer, sleep, start, waitRedisReady, zombies } from '../helpers/runc'

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
    await sleep(1000)
    t.same(zombies(c), [], 'no zombie in the container')
    t.same(psInContainer(c).filter((p) => p.comm === 'sleep'), [], 'no leftover sleep either')
  })

  t.test('a hung probe under --timeout exits 124 and leaves nothing', async (t) => {
    const c = await start({ name: 'redis-probe-hung', args: REDIS_ARGS, tini: true })
    t.teardown(() => destroy(c))
    await waitRedisReady(c)
    const r = await exec(c, ['/usr/local/bin/tini-ts', '-s', '--timeout', '0.5s', '--', 'sh', '-c', 'sleep 30 & sleep 30'])
    t.equal(r.exitCode, 124, 'exit 124')
    await sleep(500)
    const left = psInContainer(c).filter((p) => p.pid !== 1)
    t.same(left, [], 'nothing but PID 1 is left')
    t.same(zombies(c), [], 'no zombie')
  })
}
