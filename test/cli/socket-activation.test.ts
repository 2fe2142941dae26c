// Socket activation: systemd (and podman) set LISTEN_PID to the
// pid they started, the init; libsystemd's sd_listen_fds() in the program
// ignores the sockets unless LISTEN_PID is its own pid. tini-ts rewrites a
// LISTEN_PID that names itself to the program's pid, as catatonit does, and
// passes every other environment byte for byte.
// Real parts: systemd-socket-activate (a listening AF_UNIX socket on fd 3,
// LISTEN_PID = its pid, then exec) and libsystemd's sd_listen_fds (ctypes).
import t from 'tap'
import { execa } from 'execa'
import * as net from 'node:net'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES, haveBinary, killTree, tiniArgv, waitFor } from '../helpers/tini'

// Debian's python itself: a pyenv shim in PATH would add its own variables.
const CONSUMER = [existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', join(FIXTURES, 'sd-listen.py')]
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', TINI_SUBREAPER: '1', LANG: 'C' }

interface Report {
  pid: number
  listenPid: string | null
  listenFds: string | null
  listenFdNames: string | null
  n: number
  environ: string
}

const entries = (b: Buffer) => b.toString('latin1').split('\0').filter((e) => e !== '')

/** Runs argv; returns the consumer's report, the init's environment read
 * while the consumer waits, and then the exit code and what a client got. */
async function activate(t: any, argv: string[], env: Record<string, string>, socketPath?: string) {
  const [file, ...args] = argv
  const p = execa(file, args, { env, extendEnv: false, reject: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })
  t.teardown(() => killTree(p.pid))
  let reply = ''
  if (socketPath) {
    // systemd-socket-activate execs its command on the first connection
    const c = await waitFor('socket', () => new Promise<net.Socket | undefined>((res) => {
      const s = net.connect(socketPath)
      s.once('connect', () => res(s))
      s.once('error', () => res(undefined))
    }))
    c.on('data', (d) => (reply += d.toString()))
  }
  let out = ''
  p.stdout!.on('data', (d) => (out += d.toString()))
  const report = await waitFor('report', () => (out.includes('\n') ? (JSON.parse(out.split('\n')[0]) as Report) : undefined))
  const initEnviron = readFileSync(`/proc/${p.pid}/environ`)
  p.stdin!.end('go\n')
  const r = await p
  if (socketPath && r.exitCode === 0) await waitFor('reply', () => reply, 5000).catch(() => '')
  return { report, initEnviron, initPid: p.pid as number, code: r.exitCode, reply, stderr: r.stderr }
}

const ssa = haveBinary('systemd-socket-activate')

t.test('LISTEN_PID naming tini-ts names the program: sd_listen_fds takes the socket', { skip: !ssa && 'no systemd-socket-activate' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-sa-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const sock = join(dir, 's')
  const r = await activate(t, ['systemd-socket-activate', '-l', sock, '--fdname=web', ...tiniArgv(['--', ...CONSUMER])], BASE_ENV, sock)
  t.equal(r.report.listenPid, String(r.report.pid), "LISTEN_PID is the program's pid")
  t.not(r.report.pid, r.initPid, 'the program is not the init')
  t.equal(r.report.n, 1, 'sd_listen_fds: one socket')
  t.equal(r.report.listenFds, '1', 'LISTEN_FDS as given')
  t.equal(r.report.listenFdNames, 'web', 'LISTEN_FDNAMES as given')
  t.equal(r.reply, `served by pid ${r.report.pid}\n`, 'the program accepted a connection on fd 3')
  t.equal(r.code, 0)
  // Only LISTEN_PID differs, in place; the init's own environment is untouched.
  const init = entries(r.initEnviron)
  const prog = entries(Buffer.from(r.report.environ, 'base64'))
  t.same(init.filter((e) => !e.startsWith('LISTEN_PID=')), prog.filter((e) => !e.startsWith('LISTEN_PID=')), 'every other entry as given, in order')
  t.equal(init.findIndex((e) => e.startsWith('LISTEN_PID=')), prog.findIndex((e) => e.startsWith('LISTEN_PID=')), 'at the same place')
  t.ok(init.includes(`LISTEN_PID=${r.initPid}`), "the init's own LISTEN_PID still names the init")
})

t.test('control: under Debian tini the program rejects the sockets', { skip: (!ssa || !haveBinary('tini')) && 'no systemd-socket-activate or tini' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-sa-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const sock = join(dir, 's')
  const r = await activate(t, ['systemd-socket-activate', '-l', sock, '/usr/bin/tini', '--', ...CONSUMER], BASE_ENV, sock)
  t.equal(r.report.listenPid, String(r.initPid), 'LISTEN_PID names tini')
  t.equal(r.report.n, 0, 'sd_listen_fds: none (LISTEN_PID is not the program)')
  t.equal(r.code, 3)
})

for (const [what, extra] of [
  ['names another process', { LISTEN_PID: '1', LISTEN_FDS: '1', LISTEN_FDNAMES: 'web' }],
  ['is not a number', { LISTEN_PID: '12abc', LISTEN_FDS: '1' }],
  ['is absent', { LISTEN_FDS: '1' }],
] as const) {
  t.test(`LISTEN_PID ${what}: the environment passes byte for byte`, async (t) => {
    const r = await activate(t, tiniArgv(['--', ...CONSUMER]), { ...BASE_ENV, ...extra, 'ODD=\u00e9 \t=x': 'y' })
    const prog = Buffer.from(r.report.environ, 'base64')
    t.ok(prog.equals(r.initEnviron), "the program's environ is the init's, byte for byte")
    t.ok(r.report.n <= 0, `sd_listen_fds: no sockets (${r.report.n})`)
    t.equal(r.code, 3)
  })
}
