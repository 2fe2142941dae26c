// CONTROL for the container tier: redis-server as PID 1 with no init.
// Each probe is `sh -c 'sleep 0.3 & exec redis-cli ping'` run with
// `runc exec`: the shell's background child outlives it, is re-parented to
// the container's PID 1, and redis-server never reaps it. This proves that
// the zombies the tini-ts test expects to vanish really appear without an init.
import t from 'tap'
import { psInContainer, zombies } from '../helpers/container-ps'
import { PROBES, REDIS_ARGS, probe, waitRedisReady } from '../helpers/redis'
import { destroy, sleep, start } from '../helpers/runc'
import { ensureRootfsInfo } from '../helpers/rootfs'

t.test('redis-server as PID 1 (no init) accumulates zombies', async (t) => {
  const info = await ensureRootfsInfo()
  t.comment(info.built ? `rootfs built in ${info.seconds.toFixed(1)} s` : 'rootfs from cache')

  const c = await start({ name: 'redis-control', args: REDIS_ARGS })
  t.teardown(() => destroy(c))

  await waitRedisReady(c)
  const init = psInContainer(c).find((p) => p.pid === 1)
  t.equal(init?.comm, 'redis-server', 'redis-server is PID 1')

  const t0 = Date.now()
  const replies = await probe(c, PROBES)
  t.comment(`${PROBES} probes in ${Date.now() - t0} ms`)
  t.equal(replies.filter((r) => r === 'PONG').length, PROBES, `all ${PROBES} probes answered PONG`)

  // Let the last `sleep 0.3` children exit.
  await sleep(1000)
  const zs = zombies(c)
  t.ok(zs.length >= 25, `>= 25 zombies left behind without an init (found ${zs.length})`)
  t.ok(zs.every((z) => z.ppid === 1), 'every zombie is a child of PID 1')
  t.ok(zs.every((z) => z.comm === 'sleep'), 'the zombies are the orphaned sleeps')
})
