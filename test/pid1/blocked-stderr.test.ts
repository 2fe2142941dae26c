// Forwarding and reaping go on while tini-ts's stderr is a pipe nobody reads
// (-vvv logs every reap and signal into it); the init still exits with the
// program's status once the program exits, dropping what it cannot log.
import t from 'tap'
import { spawn, execFileSync } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { children, FIXTURES, killTree, shq, tiniArgv, waitFor } from '../helpers/tini'

const BUSY = join(FIXTURES, 'busy-program.py')

t.test('-vvv -s with a stderr pipe that is never read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-blocked-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const fifo = join(dir, 'stderr.fifo')
  execFileSync('mkfifo', [fifo])
  // Hold the read end open, and never read from it.
  const rd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  t.teardown(() => closeSync(rd))
  const cmd = `exec ${tiniArgv(['-vvv', '-s', '--', 'python3', BUSY, '3000', dir, '5']).map(shq).join(' ')} 2>${shq(fifo)}`
  const p = spawn('sh', ['-c', cmd], { stdio: 'ignore' })
  t.teardown(() => killTree(p.pid))
  const exited = new Promise<number | null>((res) => p.on('exit', (code) => res(code)))
  const init = p.pid as number

  await waitFor('orphans made', () => existsSync(join(dir, 'orphans-done')), 120_000)
  // The scenario is real: a thread of the init sits in a pipe write.
  await waitFor('init blocked writing to stderr', () =>
    readdirSync(`/proc/${init}/task`).some((tid) => {
      try {
        return readFileSync(`/proc/${init}/task/${tid}/wchan`, 'latin1').includes('pipe_write')
      } catch {
        return false
      }
    }), 60_000)
  t.pass('stderr is full and a write is blocked on it')

  // Every orphan reaped: the init has no child but the program.
  await waitFor('no orphan left', () => {
    const kids = children(init)
    return kids.length === 1 && kids[0].comm.startsWith('python')
  }, 120_000)
  t.pass('no zombie (or orphan) left while stderr is blocked')

  // Signals still forwarded, one at a time.
  for (let i = 1; i <= 10; i++) {
    process.kill(init, 'SIGUSR1')
    await waitFor(`SIGUSR1 #${i}`, () => {
      try {
        return Number(readFileSync(join(dir, 'usr1'), 'latin1')) >= i
      } catch {
        return false
      }
    }, 30_000)
  }
  t.pass('10 SIGUSR1 forwarded while stderr is blocked')

  writeFileSync(join(dir, 'exit-now'), '')
  const timeout = new Promise<string>((res) => setTimeout(() => res('timeout'), 90_000).unref())
  const code = await Promise.race([exited, timeout])
  t.equal(code, 5, 'the init exits with the program\'s status, never hanging on its logs')
})
