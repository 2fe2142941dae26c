// The Node and libuv internals tini-ts relies on (docs/node-internals.md),
// each checked on the runtime it ships with, so that a new pinned runtime
// that changes one fails here, naming it, rather than somewhere downstream.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installedNode, nodeExecutable, REPO } from '../helpers/tini'

const SEA = nodeExecutable()
const PINNED = join(REPO, 'node_modules', `node-linux-${process.arch}`, 'bin', 'node')
const skip = existsSync(SEA) ? false : `needs the built executable (${SEA})`
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }

/** The descriptor link targets of a process, fd -> target. */
const fdsOf = (list: string) =>
  Object.fromEntries(
    list
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' -> ') as [string, string]),
  )
const LIST = (who: string) => `for f in /proc/${who}/fd/*; do echo "\${f##*/} -> $(readlink $f)"; done`

t.test('uv_loop_t fields (native/fd_facts.c): the runtime keeps its descriptors, the program gets none of them', { skip }, async (t) => {
  // The program lists its own descriptors and its parent's (the init's).
  const r = await execa(SEA, ['-vv', '--', 'sh', '-c', `${LIST('$$')}; echo ==; ${LIST('$PPID')}`], { env, reject: false })
  t.equal(r.exitCode, 0, 'the program ran')
  const [mine, init] = r.stdout.split('\n==\n').map(fdsOf)
  // Control: the init does hold libuv's epoll and eventfd, so a leak would show.
  t.ok(Object.values(init).some((x) => x === 'anon_inode:[eventpoll]'), 'control: the init holds an epoll (libuv backend_fd)')
  const leaked = Object.entries(mine).filter(([fd, x]) => Number(fd) > 2 && x.startsWith('anon_inode:'))
  t.same(leaked, [], 'uv_loop_t fields: no epoll/eventfd of the runtime reached the program')
})

t.test('kChannelHandle (src/runtime/ipc-channel.ts): the npm route can reach the IPC pipe Node opened', async (t) => {
  const probe = `
    const { fork } = require('node:child_process')
    if (process.argv[2] === 'child') {
      const sym = Object.getOwnPropertySymbols(process).find((s) => s.description === 'kChannelHandle')
      const h = sym && process[sym]
      process.send({ sym: Boolean(sym), readStop: typeof h?.readStop, setBlocking: typeof h?.setBlocking, fd: typeof h?.fd }, () => process.exit(0))
    } else {
      fork(__filename, ['child']).on('message', (m) => { console.log(JSON.stringify(m)); process.exit(0) })
    }`
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-internals-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'probe.cjs')
  writeFileSync(file, probe)
  for (const [name, node] of [['installed node', installedNode()], ['pinned runtime', PINNED]] as const) {
    if (!existsSync(node)) continue
    const r = await execa(node, [file], { env, reject: false })
    t.equal(r.exitCode, 0, `${name} ran the probe`)
    t.same(JSON.parse(r.stdout || '{}'), { sym: true, readStop: 'function', setBlocking: 'function', fd: 'number' }, `kChannelHandle on ${name}`)
  }
})
