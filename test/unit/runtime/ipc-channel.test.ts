// neutralizeIpcChannel in a real child forked with an IPC channel: the
// descriptor is made blocking again and Node stops reading it, so what
// arrives on it is left for the program. Control: the same child without it
// finds the descriptor non-blocking and Node takes the message.
import t from 'tap'
import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'

const CHILD = path.join(__dirname, '..', '..', 'fixtures', 'ipc-child.ts')
const O_NONBLOCK = 0o4000

interface Report {
  fd: number
  returned?: number
  flags: string
}

/** Forks the fixture, waits for its report, sends a message, tells it so on
 * stdin, and collects what it prints. */
async function run(mode: 'neutralize' | 'control'): Promise<{ report: Report; rest: string }> {
  const child: ChildProcess = fork(CHILD, [mode], { silent: true })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  const report = await new Promise<Report>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Report)
    })
    child.once('exit', (code) => reject(new Error(`child exited ${code} before reporting: ${out}`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  // the message is in the pipe before the child hears it was sent
  child.send({ hello: 'world' }, () => child.stdin!.write('sent\n'))
  await exited
  return { report, rest: out.slice(out.indexOf('\n') + 1) }
}

t.test('control: Node reads the channel, and its descriptor is non-blocking', async (t) => {
  const { report, rest } = await run('control')
  t.ok(Number.parseInt(report.flags, 8) & O_NONBLOCK, `O_NONBLOCK set (flags ${report.flags})`)
  t.equal(rest, 'message {"hello":"world"}\n', 'Node delivered the message')
})

t.test('neutralized: blocking again, Node does not read, the bytes reach the program', async (t) => {
  const { report, rest } = await run('neutralize')
  t.equal(report.returned, report.fd, 'returns the channel descriptor')
  t.notOk(Number.parseInt(report.flags, 8) & O_NONBLOCK, `O_NONBLOCK cleared (flags ${report.flags})`)
  t.equal(rest, 'read {"hello":"world"}\n', "Node's message format, read from the descriptor by the program")
})

t.test('without a channel (the executable, or no NODE_CHANNEL_FD): nothing to do', async (t) => {
  const r = spawnSync(process.execPath, [...process.execArgv, CHILD, 'neutralize'], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout), { returned: null })
})
