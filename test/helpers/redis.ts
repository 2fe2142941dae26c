// The redis-server workload shared by the container tests, and the reaping
// scenario any init is put through (test/container/redis-tini.test.ts,
// reference-inits.test.ts).
import type { Test } from 'tap'
import { psInContainer } from './container-ps'
import { destroy, exec, kill, readStderr, readStdout, sleep, startAttached, waitStopped, withTimeout, type Container, type ContainerOpts } from './runc'

// redis listens on a unix socket in the container's /tmp only (no TCP port:
// the containers share the host's network namespace, and must not collide
// with anything).
export const SOCK = '/tmp/redis.sock'
export const REDIS_ARGS = [
  'redis-server',
  '--save', '',
  '--appendonly', 'no',
  '--daemonize', 'no',
  '--port', '0',
  '--unixsocket', SOCK,
  '--dir', '/tmp',
]
export const PROBES = 30
/** The probe: its background `sleep` is orphaned to PID 1 when redis-cli exits. */
export const PROBE = ['sh', '-c', `sleep 0.3 & exec redis-cli -s ${SOCK} ping`]

export async function waitRedisReady(c: Container, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const r = await exec(c, ['redis-cli', '-s', SOCK, 'ping'])
    if (r.stdout.trim() === 'PONG') return
    last = `${r.exitCode} ${r.stdout} ${r.stderr}`
    await sleep(100)
  }
  throw new Error(`redis not ready in ${timeoutMs} ms: ${last}`)
}

/** Run fn over items with at most `limit` running at once, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** Run `n` probes, a few at a time; returns each one's stdout, trimmed. */
export async function probe(c: Container, n: number, concurrency = 5): Promise<string[]> {
  return mapLimit(Array.from({ length: n }, (_, i) => i), concurrency, async () => {
    const r = await exec(c, PROBE)
    return r.stdout.trim()
  })
}

export interface InitUnderTest {
  /** argv before redis-server's, e.g. ['/usr/local/bin/tini-ts', '--'] */
  argv: string[]
  /** how the init gets into the container (bind mounts, `tini: true`...) */
  opts: Partial<ContainerOpts>
  name: string
}

/**
 * The reaping scenario, for any init: redis-server under `init` in a
 * container started with `runc run` in the foreground; PROBES exec probes
 * all answer PONG; every orphaned sleep is reaped within ~2 s; `runc kill
 * TERM` stops the container gracefully with exit status 0.
 */
export async function redisReapScenario(t: Test, init: InitUnderTest): Promise<void> {
  const c = await startAttached({ name: init.name, ...init.opts, args: [...init.argv, ...REDIS_ARGS] })
  t.teardown(() => destroy(c))

  await waitRedisReady(c)
  const ps = psInContainer(c)
  const pid1 = ps.find((p) => p.pid === 1)
  const redis = ps.find((p) => p.comm === 'redis-server')
  t.equal(pid1?.argv[0], init.argv[0], `${init.argv[0]} is PID 1`)
  t.equal(redis?.ppid, 1, 'redis-server is the child of PID 1')

  const t0 = Date.now()
  const replies = await probe(c, PROBES)
  t.comment(`${PROBES} probes in ${Date.now() - t0} ms`)
  t.equal(replies.filter((r) => r === 'PONG').length, PROBES, `all ${PROBES} probes answered PONG`)

  // The sleeps live 0.3 s; then PID 1 must reap them. Poll up to ~2 s.
  const t1 = Date.now()
  const deadline = t1 + 2_300
  const leftovers = () => psInContainer(c).filter((p) => p.state === 'Z' || p.comm === 'sleep')
  let left = leftovers()
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50)
    left = leftovers()
  }
  t.comment(`orphans gone ${Date.now() - t1} ms after the last probe`)
  t.same(left.filter((p) => p.state === 'Z'), [], 'no zombie remains')
  t.same(left, [], 'every orphaned sleep is gone')
  t.ok(psInContainer(c).some((p) => p.comm === 'redis-server'), 'redis-server still runs')

  const k = await kill(c, 'TERM')
  t.equal(k.exitCode, 0, 'runc kill TERM')
  const st = await waitStopped(c, 10_000)
  t.ok(st.status === 'stopped' || st.status === 'gone', `container stopped (state: ${st.status})`)
  t.equal(await withTimeout(c.exited!, 10_000), 0, 'exit status of PID 1 (the container) is 0')
  const out = readStdout(c)
  t.match(out, /Received SIGTERM/, 'redis received the forwarded SIGTERM')
  t.match(out, /ready to exit, bye bye/, 'redis shut down gracefully')
  t.equal(readStderr(c), '', 'nothing on stderr')
}
