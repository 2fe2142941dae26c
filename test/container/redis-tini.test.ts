// tini-ts as PID 1 of redis-server in a real runc container: the orphaned
// children of exec probes are reaped (compare redis-control.test.ts, where
// they pile up as zombies), and `runc kill TERM` stops redis gracefully
// through tini-ts, whose exit status (the container's) is redis's: 0.
import t from 'tap'
import {
  PROBES, REDIS_ARGS, destroy, distMissing, kill, probe, psInContainer, readStderr, readStdout,
  sleep, startAttached, withTimeout, waitRedisReady, waitStopped, zombies,
} from '../helpers/runc'

const missing = distMissing()
if (missing) {
  t.fail(missing)
} else {
  t.test('tini-ts reaps the orphans of exec probes and stops redis on TERM', async (t) => {
    const c = await startAttached({
      name: 'redis-tini',
      tini: true,
      args: ['/usr/local/bin/tini-ts', '--', ...REDIS_ARGS],
    })
    t.teardown(() => destroy(c))

    await waitRedisReady(c)
    const ps = psInContainer(c)
    const init = ps.find((p) => p.pid === 1)
    const redis = ps.find((p) => p.comm === 'redis-server')
    t.equal(init?.argv[0], '/usr/local/bin/tini-ts', 'tini-ts is PID 1')
    t.equal(redis?.ppid, 1, 'redis-server is the child of PID 1')

    const t0 = Date.now()
    const replies = await probe(c, PROBES)
    t.comment(`${PROBES} probes in ${Date.now() - t0} ms`)
    t.equal(replies.filter((r) => r === 'PONG').length, PROBES, `all ${PROBES} probes answered PONG`)

    // The sleeps live 0.3 s; then tini-ts must reap them. Poll up to ~2 s.
    const deadline = Date.now() + 2_300
    let zs = zombies(c)
    let sleeps = psInContainer(c).filter((p) => p.comm === 'sleep')
    while ((zs.length > 0 || sleeps.length > 0) && Date.now() < deadline) {
      await sleep(100)
      zs = zombies(c)
      sleeps = psInContainer(c).filter((p) => p.comm === 'sleep')
    }
    t.same(zs, [], 'no zombie remains')
    t.equal(sleeps.length, 0, 'every orphaned sleep is gone')
    t.ok(psInContainer(c).some((p) => p.comm === 'redis-server'), 'redis-server still runs')

    const k = await kill(c, 'TERM')
    t.equal(k.exitCode, 0, 'runc kill TERM')
    const st = await waitStopped(c, 10_000)
    t.ok(st.status === 'stopped' || st.status === 'gone', `container stopped (state: ${st.status})`)
    const code = await withTimeout(c.exited!, 10_000)
    t.equal(code, 0, 'exit status of tini-ts (the container) is 0')
    const out = readStdout(c)
    t.match(out, /Received SIGTERM/, 'redis received the forwarded SIGTERM')
    t.match(out, /ready to exit, bye bye/, 'redis shut down gracefully')
    t.equal(readStderr(c), '', 'nothing on stderr')
  })
}
