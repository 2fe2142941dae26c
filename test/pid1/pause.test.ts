// -P as PID 1 of a PID namespace: no program, reaps orphans that enter the
// namespace (as kubectl exec does), ends with 0 on SIGTERM. Control: a PID 1
// that does not reap (sleep) keeps the same orphans as zombies.
import t, { type Test } from 'tap'
import { execa, type ResultPromise } from 'execa'
import { tiniArgv, waitFor, children, procStat, killTree } from '../helpers/tini'

const LEAK = 'for i in 1 2 3 4 5; do (sleep 0.05 &); done; sleep 0.5'

async function startNamespace(t: Test, pid1: string[]): Promise<{ holder: ResultPromise; init: number }> {
  const holder = execa('unshare', ['--pid', '--fork', '--mount-proc', ...pid1], { reject: false, timeout: 60_000 })
  t.teardown(() => killTree(holder.pid))
  const init = await waitFor('PID 1 of the namespace', () => children(holder.pid as number)[0]?.pid)
  return { holder, init }
}

const zombiesOf = (pid: number) => children(pid).filter((c) => c.state === 'Z').length

t.test('control: PID 1 that does not reap keeps the orphans as zombies', async (t) => {
  const { init } = await startNamespace(t, ['sleep', '60'])
  await execa('nsenter', ['-t', String(init), '-p', '-m', '--', 'sh', '-c', LEAK])
  t.equal(zombiesOf(init), 5, 'five zombies under PID 1')
})

t.test('-P reaps orphans as PID 1 and exits 0 on SIGTERM', async (t) => {
  const { holder, init } = await startNamespace(t, tiniArgv(['-P']))
  // Node names its main thread 'MainThread' at start; tini-ts renames it once set up.
  await waitFor('PID 1 named tini-ts', () => /^(node|tini-ts)$/.test(procStat(init)?.comm ?? ''))
  t.match(procStat(init)?.comm ?? '', /^(node|tini-ts)$/)
  await execa('nsenter', ['-t', String(init), '-p', '-m', '--', 'sh', '-c', LEAK])
  await waitFor('no zombie under PID 1', () => zombiesOf(init) === 0, 5000)
  t.equal(zombiesOf(init), 0)
  process.kill(init, 'SIGTERM')
  const r = await holder
  t.equal(r.exitCode, 0, 'pause mode ends with 0')
})

t.test('-P ends with 0 on SIGINT too, and ignores other signals', async (t) => {
  const { holder, init } = await startNamespace(t, tiniArgv(['-P']))
  await waitFor('handlers installed', () => /SigCgt:\s*0*[1-9a-f]/.test(require('node:fs').readFileSync(`/proc/${init}/status`, 'latin1')))
  process.kill(init, 'SIGHUP')
  await new Promise((r) => setTimeout(r, 300))
  t.ok(procStat(init), 'still running after SIGHUP')
  process.kill(init, 'SIGINT')
  t.equal((await holder).exitCode, 0)
})
