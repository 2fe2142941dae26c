// Native contract: the addon's calls, loaded in a child node process (never
// in the tap process: installing handlers there would take its signals).
import t from 'tap'
import { execa } from 'execa'
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADDON, FIXTURES, killTree, procStat, waitFor } from '../helpers/tini'
import { forwardedSignals, IGNORED_SIGNALS, OWN_ACT_SIGNALS } from '../../src/init/signals'
import { NATIVE_CONSTANTS } from '../../src/runtime/native'

const FWD = forwardedSignals()
const PRINT_SIGNALS = join(FIXTURES, 'print-signals.py')

// Prelude of every scenario: the addon as `n`, helpers, and out() for the result.
const PRELUDE = `
'use strict'
const fs = require('fs')
const mod = { exports: {} }
process.dlopen(mod, process.env.ADDON)
const n = mod.exports
const FWD = JSON.parse(process.env.FWD)
const IGN = JSON.parse(process.env.IGN)
const OWN = JSON.parse(process.env.OWN)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function until(what, f, ms = 15000) {
  const end = Date.now() + ms
  for (;;) { const v = f(); if (v) return v; if (Date.now() > end) throw new Error('timeout: ' + what); await sleep(20) }
}
const events = []
const pull = () => { for (const e of n.drain()) events.push(e); return events }
function init(opts = {}) {
  const s = n.setup()
  const map = new Int32Array(65)
  for (const x of FWD) map[x] = x
  n.setPolicy(map, !!opts.group, !!opts.details)
  n.installHandlers(FWD, IGN, OWN)
  return s
}
const status = (pid) => fs.readFileSync('/proc/' + pid + '/status', 'latin1')
const field = (pid, k) => new RegExp('^' + k + ':\\\\s*(\\\\S+)', 'm').exec(status(pid))[1]
const comm = (pid) => { try { return fs.readFileSync('/proc/' + pid + '/comm', 'latin1').trim() } catch { return '' } }
// Kill every child we left (the program, orphans we adopted) before exiting.
function cleanup() {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(d)) continue
    try { if (fs.readFileSync('/proc/' + d + '/stat', 'latin1').split(') ')[1].split(' ')[1] === String(process.pid)) process.kill(Number(d), 'SIGKILL') } catch {}
  }
}
const out = (o) => { cleanup(); process.stdout.write('RESULT ' + JSON.stringify(o) + '\\n'); process.exit(0) }
;(async () => {
`
const POSTLUDE = `
})().catch((e) => { cleanup(); process.stdout.write('ERROR ' + (e && e.stack || e) + '\\n'); process.exit(1) })
`

interface Run {
  result: any
  stdout: string
  stderr: string
  pid: number
}

async function scenario(t: TapTest, body: string, opts: { timeout?: number; detached?: boolean; onStart?: (pid: number, sub: any) => void } = {}): Promise<Run> {
  const sub = execa(process.execPath, ['-e', PRELUDE + body + POSTLUDE], {
    detached: opts.detached ?? false,
    env: { OUT_FILE: `/tmp/tini-ts-native-out-${process.pid}`, ADDON, FWD: JSON.stringify(FWD), IGN: JSON.stringify(IGNORED_SIGNALS), OWN: JSON.stringify(OWN_ACT_SIGNALS), PRINT_SIGNALS, TEST_MARK: 'native-contract' },
    reject: false,
    timeout: opts.timeout ?? 60_000,
    buffer: true,
  })
  t.teardown(() => killTree(sub.pid))
  opts.onStart?.(sub.pid as number, sub)
  const r = await sub
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`scenario failed (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`)
  return { result: JSON.parse(line.slice(7)), stdout: r.stdout, stderr: r.stderr, pid: sub.pid as number }
}

// tap's Test type
type TapTest = typeof t

t.test('installHandlers: our handler on every forwarded signal and SIGCHLD; SIGTTIN/SIGTTOU ignored', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    const before = n.handlerIsOurs(15)
    const s = init()
    const ours = {}
    for (let sig = 1; sig <= 64; sig++) { if (sig === 9 || sig === 19 || sig === 32 || sig === 33) continue; ours[sig] = n.handlerIsOurs(sig) }
    out({ before, s, ours, ign: field(process.pid, 'SigIgn'), cgt: field(process.pid, 'SigCgt') })
    `,
  )
  t.equal(r.before, false, 'not ours before installHandlers')
  t.equal(r.s.sigrtmin, 34)
  t.equal(r.s.sigrtmax, 64)
  t.ok(r.s.clockTicks > 0)
  for (const s of FWD) t.equal(r.ours[s], true, `handler installed for ${s}`)
  t.equal(r.ours[17], true, 'SIGCHLD reaps')
  for (const s of [11, 7, 8, 4, 5, 31, 6]) t.equal(r.ours[s], false, `fault signal ${s} left alone`)
  const ign = BigInt('0x' + r.ign)
  t.ok((ign >> 20n) & 1n, 'SIGTTIN ignored')
  t.ok((ign >> 21n) & 1n, 'SIGTTOU ignored')
  const cgt = BigInt('0x' + r.cgt)
  for (const s of [...FWD, 17]) t.ok((cgt >> BigInt(s - 1)) & 1n, `kernel sees signal ${s} caught`)
})

t.test('spawn: a clean program (argv, env, mask, dispositions, fds, group)', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    const own = n.spawn({ argv: ['sh', '-c', 'read x', 'a b', ''], env: ['ONLY=1', 'X=y z'], newGroup: true })
    await until('exec', () => comm(own.pid) === 'sh')
    const inh = n.spawn({ argv: ['sleep', '31'], env: null, newGroup: false, takeTty: false })
    await until('exec 2', () => comm(inh.pid) === 'sleep')
    const fds = (pid) => Object.fromEntries(fs.readdirSync('/proc/' + pid + '/fd').map((f) => { try { return [f, fs.readlinkSync('/proc/' + pid + '/fd/' + f)] } catch { return [f, 'gone'] } }).filter((e) => e[1] !== 'gone'))
    const stat = (pid) => fs.readFileSync('/proc/' + pid + '/stat', 'latin1').split(') ')[1].split(' ')
    const res = {
      own, inh,
      cmdline: fs.readFileSync('/proc/' + own.pid + '/cmdline', 'latin1'),
      environ: fs.readFileSync('/proc/' + own.pid + '/environ', 'latin1'),
      inhEnviron: fs.readFileSync('/proc/' + inh.pid + '/environ', 'latin1'),
      myEnviron: fs.readFileSync('/proc/self/environ', 'latin1'),
      blk: field(own.pid, 'SigBlk'), ign: field(own.pid, 'SigIgn'), cgt: field(own.pid, 'SigCgt'),
      myIgn: field(process.pid, 'SigIgn'),
      fds: fds(own.pid), myFds: fds(process.pid),
      // descriptors the init itself would pass on through exec (no O_CLOEXEC)
      inheritable: fs.readdirSync('/proc/self/fd').filter((f) => { try { return (parseInt(/flags:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/fdinfo/' + f, 'latin1'))[1], 8) & 0o2000000) === 0 } catch { return false } }),
      ownPgrp: Number(stat(own.pid)[2]), inhPgrp: Number(stat(inh.pid)[2]), myPgrp: Number(stat(process.pid)[2]),
      ppid: Number(stat(own.pid)[1]),
      cwd: fs.readlinkSync('/proc/' + own.pid + '/cwd'),
    }
    n.kill(own.pid, 9); n.kill(inh.pid, 9)
    out(res)
    `,
  )
  t.ok(r.own.pid > 0)
  t.equal(r.own.ok, true, 'no exec error')
  t.equal(r.own.errno, undefined)
  t.equal(r.cmdline, 'sh\0-c\0read x\0a b\0\0', 'argv exactly, empty argument included')
  t.equal(r.environ, 'ONLY=1\0X=y z\0', 'env array: exactly that environment')
  t.equal(r.inhEnviron, r.myEnviron, 'env null: the init\'s own environment')
  t.equal(r.blk, '0000000000000000', 'signal mask empty')
  t.equal(r.ign, '0000000000000000', 'no ignored signal (Node ignores SIGPIPE, the init SIGTTIN/SIGTTOU)')
  t.not(r.myIgn, '0000000000000000', 'control: the parent does ignore some')
  const expected = [...new Set(['0', '1', '2', ...r.inheritable])].sort()
  t.same(Object.keys(r.fds).sort(), expected, 'only stdio and what the init itself inherited without close-on-exec')
  const runtime = Object.entries(r.myFds).filter(([, l]) => /eventpoll|eventfd|pipe:/.test(l as string)).map(([f]) => f)
  t.ok(runtime.length >= 2, 'control: the runtime has epoll/eventfd/pipe descriptors')
  for (const f of runtime) if (!r.inheritable.includes(f)) t.notOk(f in r.fds, `runtime fd ${f} (${r.myFds[f]}) not passed on`)
  for (const fd of ['0', '1', '2']) t.equal(r.fds[fd], r.myFds[fd], `fd ${fd} is the init's own`)
  t.ok(Object.keys(r.myFds).length > 3, 'control: the runtime does have other descriptors')
  t.equal(r.ownPgrp, r.own.pid, 'newGroup: own process group')
  t.equal(r.inhPgrp, r.myPgrp, 'newGroup false: the init\'s group')
  t.equal(r.cwd, process.cwd(), 'cwd inherited')
})

t.test('spawn: exec errors come back typed (step, errno); the child exits 127 as posix_spawn\'s does', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    const res = {}
    const dir = fs.mkdtempSync(require('os').tmpdir() + '/tini-ts-exec-')
    fs.writeFileSync(dir + '/noexec', '#!/bin/sh\\nexit 0\\n', { mode: 0o644 })
    fs.writeFileSync(dir + '/noshebang', 'exit 42\\n', { mode: 0o755 })
    for (const [k, argv] of Object.entries({ missing: ['/nonexistent/prog'], path: ['no-such-program-tini-ts'], dir: ['/etc'], noexec: [dir + '/noexec'], noshebang: [dir + '/noshebang'] })) {
      const s = n.spawn({ argv, newGroup: true })
      await until('reaped ' + k, () => pull().some((e) => e.type === 'programExited' && e.pid === s.pid))
      res[k] = { ...s, exits: events.filter((e) => e.type === 'programExited' && e.pid === s.pid).map((e) => e.status), orphanEvents: events.filter((e) => e.type === 'reaped' && e.pid === s.pid).length }
    }
    fs.rmSync(dir, { recursive: true })
    out(res)
    `,
  )
  for (const k of ['missing', 'path']) {
    t.equal(r[k].errno, 2, `${k}: ENOENT`)
    t.equal(r[k].ok, false)
    t.equal(r[k].step, 'exec', `${k}: failed at exec`)
    t.match(r[k].message, /No such file/)
  }
  for (const k of ['missing', 'path', 'dir', 'noexec']) {
    t.same(r[k].exits, [127 << 8], `${k}: one programExited event, the child exited 127`)
    t.equal(r[k].orphanEvents, 0, `${k}: not also reported as an orphan`)
  }
  for (const k of ['dir', 'noexec']) {
    t.equal(r[k].errno, 13, `${k}: EACCES`)
    t.equal(r[k].step, 'exec')
  }
  t.ok(r.missing.pid > 0, 'a pid even on failure')
  t.equal(r.noshebang.ok, true, 'a script without #! runs through /bin/sh (execvp, as tini)')
  t.same(r.noshebang.exits, [42 << 8])
})

t.test('onWake: the loop is woken when a handler recorded something, and only then', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    let wakes = 0
    n.onWake(() => { wakes++; pull() })
    init()
    n.setSubreaper()
    await sleep(300)
    const idle = wakes
    const s = n.spawn({ argv: ['sh', '-c', 'sleep 0.1 & exit 3'], newGroup: true })
    await until('program and orphan reaped through wake-ups', () => events.some((e) => e.type === 'reaped') && events.some((e) => e.type === 'programExited'))
    const afterReap = wakes
    process.kill(process.pid, 'SIGUSR2')
    await until('signal event through a wake-up', () => events.some((e) => e.type === 'signal' && e.signal === 12))
    n.stopWake()
    out({ idle, afterReap, wakes, pid: s.pid })
    `,
  )
  t.equal(r.idle, 0, 'no wake-up while nothing happens')
  t.ok(r.afterReap >= 1, 'woken for the reaps')
  t.ok(r.wakes > r.afterReap, 'woken for the signal')
})

t.test('fdFacts: every descriptor, and which the runtime owns', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    const fs = require('fs')
    const fd = fs.openSync('/etc/hostname', 'r') // Node opens with O_CLOEXEC
    out({ f: n.fdFacts(), fd })
    `,
  )
  const byFd = new Map<number, any[]>(r.f.rows.map((row: any[]) => [row[0], row]))
  for (const fd of [0, 1, 2]) t.ok(byFd.has(fd), `fd ${fd} listed`)
  const row = byFd.get(r.fd) as any[]
  t.same(row.slice(0, 4), [r.fd, true, 'file', false], 'kind and close-on-exec')
  t.equal(row[6], '/etc/hostname', 'link target')
  t.equal(r.f.fork, 0, 'the fork that finds the lock pipe worked')
  const lock = r.f.rows.filter((x: any[]) => x[5] === 'uv-signal-lock')
  t.equal(lock.length, 2, "libuv's signal lock pipe: both ends found")
  t.equal(lock[0][4], lock[1][4], 'one pipe')
  t.ok(r.f.rows.some((x: any[]) => x[5] === 'uv-loop' && x[6] === 'anon_inode:[eventpoll]'), "this loop's epoll")
})

t.test('every call rejects bad arguments with a TypeError naming the call', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    const tries = {
      'kill(undefined, 15)': () => n.kill(undefined, 15),
      'kill(0, 15)': () => n.kill(0, 15),
      'kill(-1, 15)': () => n.kill(-1, 15),
      "kill('1', 15)": () => n.kill('1', 15),
      'kill(1.5, 15)': () => n.kill(1.5, 15),
      'kill(2**40, 15)': () => n.kill(2 ** 40, 15),
      'kill(pid, 99)': () => n.kill(process.pid, 99),
      'kill(pid)': () => n.kill(process.pid),
      'handlerIsOurs()': () => n.handlerIsOurs(),
      'handlerIsOurs(NaN)': () => n.handlerIsOurs(NaN),
      'setParentDeathSignal(null)': () => n.setParentDeathSignal(null),
      'giveTerminal()': () => n.giveTerminal(),
      'giveTerminal(0)': () => n.giveTerminal(0),
      'exitNow()': () => n.exitNow(),
      'exitNow(256)': () => n.exitNow(256),
      'onWake(1)': () => n.onWake(1),
      'setPolicy([])': () => n.setPolicy([], false, false),
      'setPolicy(map, 1, 0)': () => n.setPolicy(new Int32Array(65), 1, 0),
      'setPolicy(map with 99)': () => { const m = new Int32Array(65); m[15] = 99; n.setPolicy(m, false, false) },
      'installHandlers()': () => n.installHandlers(),
      "installHandlers(['15'], [], [])": () => n.installHandlers(['15'], [], []),
      'installHandlers([9], [], [])': () => n.installHandlers([9], [], []),
      'installHandlers([15])': () => n.installHandlers([15]),
      'installHandlers([15], [17], [])': () => n.installHandlers([15], [17], []),
      'installHandlers([15], [], [65])': () => n.installHandlers([15], [], [65]),
      'spawn()': () => n.spawn(),
      "spawn(['true'])": () => n.spawn(['true']),
      'spawn({})': () => n.spawn({}),
      'spawn({ argv: [] })': () => n.spawn({ argv: [] }),
      'spawn({ argv: [1] })': () => n.spawn({ argv: [1] }),
      'spawn({ argv: [a NUL b] })': () => n.spawn({ argv: ['true' + String.fromCharCode(0) + 'x'] }),
      'spawn({ env: {} })': () => n.spawn({ argv: ['true'], env: {} }),
      "spawn({ newGroup: 'yes' })": () => n.spawn({ argv: ['true'], newGroup: 'yes' }),
      'spawn({ keepFds: [-1] })': () => n.spawn({ argv: ['true'], keepFds: [-1] }),
      'spawn({ keepFds: 3 })': () => n.spawn({ argv: ['true'], keepFds: 3 }),
      'spawn({ exactArgv: 1 })': () => n.spawn({ argv: ['true'], exactArgv: 1 }),
      'spawn({ listenPid: null })': () => n.spawn({ argv: ['true'], listenPid: null }),
      'spawn({ newgroup: true }) (misspelt)': () => n.spawn({ argv: ['true'], newgroup: true }),
      'logStart()': () => n.logStart(),
      "logStart('2')": () => n.logStart('2'),
      'logWrite()': () => n.logWrite(),
      'logWrite(1)': () => n.logWrite(1),
      'logFlush(-1)': () => n.logFlush(-1),
      'setJobControl()': () => n.setJobControl(),
      'setJobControl(1)': () => n.setJobControl(1),
      'releaseSignals(1)': () => n.releaseSignals(1),
      'drain(1)': () => n.drain(1),
      'reapNow(1)': () => n.reapNow(1),
      'stats(1)': () => n.stats(1),
      'setup(1)': () => n.setup(1),
      'stopWake(1)': () => n.stopWake(1),
      'setSubreaper(1)': () => n.setSubreaper(1),
      'isSubreaper(1)': () => n.isSubreaper(1),
      'ttyInfo(1)': () => n.ttyInfo(1),
      'fdFacts(1)': () => n.fdFacts(1),
      'killChild(1, 15, true)': () => n.killChild(1, 15, true),
      'killChild(0, 15, false)': () => n.killChild(0, 15, false),
      'killChild(pid, 15)': () => n.killChild(process.pid, 15),
      'killChild(pid, 65, false)': () => n.killChild(process.pid, 65, false),
      'killGroup(1, 15)': () => n.killGroup(1, 15),
      'killGroup(pid)': () => n.killGroup(process.pid),
      'pidfdOpen(0)': () => n.pidfdOpen(0),
      'pidfdOpen(-1)': () => n.pidfdOpen(-1),
      'pidfdSignal(0, 0) (not a pidfd of ours)': () => n.pidfdSignal(0, 0),
      'pidfdSignal(fd)': () => n.pidfdSignal(3),
      'pidfdClose(2) (not a pidfd of ours)': () => n.pidfdClose(2),
      'pidfdClose()': () => n.pidfdClose(),
    }
    const res = {}
    for (const [k, f] of Object.entries(tries)) {
      try { f(); res[k] = 'no error' } catch (e) { res[k] = e.name + ': ' + e.message }
    }
    const fns = Object.keys(n).filter((k) => typeof n[k] === 'function')
    out({ res, alive: true, untried: fns.filter((f) => !Object.keys(tries).some((k) => k.startsWith(f + '('))) })
    `,
  )
  for (const [k, v] of Object.entries(r.res as Record<string, string>)) {
    t.match(v, /^TypeError: \w+\(.*\): .+/, `${k} -> ${v}`)
  }
  t.equal(r.alive, true, 'the process (and its group) survived every bad call')
  t.same(r.untried, [], 'every exported function is tried with a bad argument')
})

t.test('pidfds: a pidfd names its process, not its number: ESRCH once reaped; closed only once', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    const s = n.spawn({ argv: ['sleep', '30'], newGroup: true })
    const fd = n.pidfdOpen(s.pid)
    const link = fs.readlinkSync('/proc/self/fd/' + fd)
    const alive = n.pidfdSignal(fd, 0)
    const term = n.pidfdSignal(fd, 15)
    await until('reaped', () => pull().some((e) => e.type === 'programExited'))
    const after = n.pidfdSignal(fd, 0)
    const closed = n.pidfdClose(fd)
    let again = 'no error'
    try { n.pidfdClose(fd) } catch (e) { again = e.name }
    const gone = n.pidfdOpen(2 ** 22 + 7)
    out({ fd, link, alive, term, after, closed, again, gone, status: events.find((e) => e.type === 'programExited').status })
    `,
  )
  t.ok(r.fd > 2, 'a descriptor')
  t.equal(r.link, 'anon_inode:[pidfd]')
  t.equal(r.alive, 0, 'signal 0 while the process runs')
  t.equal(r.term, 0)
  t.equal(r.status & 0x7f, 15, 'SIGTERM through the pidfd ended the program')
  t.equal(r.after, 3, 'ESRCH once reaped')
  t.equal(r.closed, 0)
  t.equal(r.again, 'TypeError', 'a closed pidfd is no longer ours to close')
  t.equal(r.gone, -3, '-ESRCH for a pid that does not exist')
})

t.test('killChild: only an unreaped child of ours, and its group; -g forwarding stops once the program is reaped', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init({ group: true })
    const s = n.spawn({ argv: ['sleep', '30'], newGroup: true })
    const child = n.killChild(s.pid, 0, false)
    const group = n.killChild(s.pid, 0, true)
    const notChild = n.killChild(process.ppid, 0, false)
    n.killChild(s.pid, 9, true)
    await until('reaped', () => pull().some((e) => e.type === 'programExited'))
    const reaped = n.killChild(s.pid, 0, false)
    process.kill(process.pid, 'SIGHUP')
    await until('event', () => pull().some((e) => e.type === 'signal'))
    out({ child, group, notChild, reaped, ev: events.find((e) => e.type === 'signal'), pid: s.pid })
    `,
  )
  t.equal(r.child, 0, 'our child')
  t.equal(r.group, 0, 'the group it leads')
  t.equal(r.notChild, 3, 'ESRCH for a process that is not our child (our parent)')
  t.equal(r.reaped, 3, 'ESRCH once reaped')
  t.equal(r.ev.target, -r.pid, '-g: the target is the group')
  t.equal(r.ev.err, 3, '-g: forwarding after the program is reaped is ESRCH, not a kill of whatever group has that number')
})

t.test('killGroup: the program\'s group after its reap, while a child of ours (re-parented to the subreaper) is in it', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    n.setSubreaper()
    try { fs.unlinkSync(process.env.OUT_FILE) } catch {}
    const s = n.spawn({ argv: ['sh', '-c', 'sleep 30 & echo $! > ' + process.env.OUT_FILE], newGroup: true })
    await until('reaped', () => pull().some((e) => e.type === 'programExited'))
    const bg = Number(await until('bg pid', () => { try { return fs.readFileSync(process.env.OUT_FILE, 'latin1').trim() } catch { return '' } }))
    await until('re-parented', () => fs.readFileSync('/proc/' + bg + '/stat', 'latin1').split(') ')[1].split(' ')[1] === String(process.pid))
    const held = n.killGroup(s.pid, 0)
    const strict = n.killChild(s.pid, 0, true)
    const term = n.killGroup(s.pid, 15)
    await until('bg reaped', () => { n.reapNow(); return !fs.existsSync('/proc/' + bg) })
    const after = n.killGroup(s.pid, 0)
    out({ held, strict, term, after })
    `,
  )
  t.equal(r.held, 0, 'a child of ours is in the group: it is still the program\'s')
  t.equal(r.strict, 3, 'killChild (the program itself) says ESRCH: it is reaped')
  t.equal(r.term, 0)
  t.equal(r.after, 3, 'no child of ours left in it: ESRCH, the number is no longer ours')
})

t.test('constants: the addon\'s are src/runtime/native.ts\'s NATIVE_CONSTANTS', async (t) => {
  const { result: r } = await scenario(t, `out({ c: n.constants, fns: Object.keys(n) })`)
  t.same(r.c, NATIVE_CONSTANTS, 'event types, spawn steps, the held marker, errno values')
  t.ok(r.fns.includes('constants'))
})

t.test('the program\'s exit is never lost, even when the ring overflows (control: an orphan\'s reap is)', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    const s = init()
    const map = new Int32Array(65)
    for (const x of FWD) map[x] = x
    map[40] = 0 // dropped by policy: an event each time, nothing sent
    n.setPolicy(map, false, false)
    n.setSubreaper()
    // the orphan dies while the ring is full; the program is killed then too
    const p = n.spawn({ argv: ['sh', '-c', '(sleep 0.5 &) ; exec sleep 30'], newGroup: true })
    await until('orphan', () => fs.readdirSync('/proc').some((d) => /^\\d+$/.test(d) && comm(d) === 'sleep' && field(d, 'PPid') === String(process.pid) && d !== String(p.pid)))
    for (let i = 0; i < 9000; i++) process.kill(process.pid, 40)
    const full = n.stats().dropped
    await sleep(900) // the orphan exits and is reaped into a full ring
    n.kill(p.pid, 9)
    await until('program reaped', () => !fs.existsSync('/proc/' + p.pid))
    await sleep(100)
    const first = n.drain()
    const second = n.drain()
    out({ pid: p.pid, full, stats: n.stats(), exits: first.filter((e) => e.type === 'programExited'), last: first[first.length - 1],
      orphans: first.filter((e) => e.type === 'reaped').length, signals: first.filter((e) => e.type === 'signal').length,
      again: second.filter((e) => e.type === 'programExited').length })
    `,
  )
  t.ok(r.full > 0, `the ring overflowed (${r.full} events dropped)`)
  t.equal(r.signals, 8192, 'the ring held 8192 events')
  t.equal(r.stats.reaped, 2, 'both the orphan and the program were reaped')
  t.equal(r.orphans, 0, 'control: the orphan\'s reap event was lost to the full ring')
  t.same(r.exits, [{ type: 'programExited', pid: r.pid, status: 9 }], 'the program\'s exit came through')
  t.same(r.last, r.exits[0], 'last in its batch')
  t.equal(r.again, 0, 'exactly once')
})

t.test('a second spawn starts with no exit: the first program\'s status is not reported for it', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    const a = n.spawn({ argv: ['sh', '-c', 'exit 3'] })
    await until('first', () => pull().some((e) => e.type === 'programExited'))
    const b = n.spawn({ argv: ['sh', '-c', 'sleep 0.3; exit 5'] })
    const early = n.drain().filter((e) => e.type === 'programExited')
    await until('second', () => pull().filter((e) => e.type === 'programExited').length >= 2)
    out({ a: a.pid, b: b.pid, early, exits: events.filter((e) => e.type === 'programExited') })
    `,
  )
  t.same(r.early, [], 'nothing reported for the running second program')
  t.same(r.exits.map((e: any) => [e.pid, e.status]), [[r.a, 3 << 8], [r.b, 5 << 8]])
})

t.test('exec failure is reported through the pipe even with stdin closed; the program never gets the pipe', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    fs.closeSync(0)
    const links = (pid) => fs.readdirSync('/proc/' + pid + '/fd').map((f) => { try { return fs.readlinkSync('/proc/' + pid + '/fd/' + f) } catch { return '' } })
    const before = links('self')
    const bad = n.spawn({ argv: ['/nonexistent/prog'] })
    const good = n.spawn({ argv: ['sh', '-c', 'ls -l /proc/$$/fd > ' + process.env.OUT_FILE + '; exec sleep 30'] })
    await until('exec', () => comm(good.pid) === 'sleep')
    const fds = links(good.pid)
    n.kill(good.pid, 9)
    out({ bad, good, fds, fresh: fds.filter((l) => l.startsWith('pipe:') && !before.includes(l)), listing: fs.readFileSync(process.env.OUT_FILE, 'latin1') })
    `,
  )
  t.equal(r.bad.ok, false)
  t.equal(r.bad.step, 'exec')
  t.equal(r.bad.errno, NATIVE_CONSTANTS.errno.ENOENT)
  t.equal(r.good.ok, true, 'a program that runs: EOF on the pipe')
  t.same(r.fresh, [], `no new pipe among the program's descriptors:\n${r.listing}`)
  t.ok(r.fds.length >= 2, 'control: the program\'s descriptors were read')
})

t.test('childless(): false while a child exists (alive or a zombie), true once none is left', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    n.onWake(() => pull())
    init()
    const before = n.childless()
    const s = n.spawn({ argv: ['sleep', '0.3'], newGroup: true })
    const alive = n.childless()
    await until('program reaped', () => events.some((e) => e.type === 'programExited'))
    const after = n.childless()
    n.stopWake()
    out({ before, alive, after })
    `,
  )
  t.equal(r.before, true, 'no child yet')
  t.equal(r.alive, false, 'control: the program running is a child')
  t.equal(r.after, true, 'reaped: no child left')
})

t.test('setReapEvents(false): orphans are reaped and counted, with no event and no wake-up each', async (t) => {
  // control: the default (true) makes one event, and wakes the loop, per orphan
  for (const on of [true, false]) {
    const { result: r } = await scenario(
      t,
      `
      let wakes = 0
      n.onWake(() => { wakes++; pull() })
      init({ details: true })
      n.setReapEvents(${on}, false)
      n.setSubreaper()
      // the program exits at once; its eight children, orphans then, 0.2 s later
      const s = n.spawn({ argv: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 0.2 & done; exit 3'], newGroup: true })
      await until('program and orphans reaped', () => events.some((e) => e.type === 'programExited') && n.stats().orphans >= 8)
      await sleep(100) // a wake-up for the orphans would have come by now
      pull()
      n.stopWake()
      out({ reaped: events.filter((e) => e.type === 'reaped').length, stats: n.stats(), wakes })
      `,
    )
    t.equal(r.stats.orphans, 8, `on=${on}: the eight orphans are counted`)
    t.equal(r.stats.reaped, 9, `on=${on}: and reaped, with the program`)
    if (on) {
      t.equal(r.reaped, 8, 'control: one event per orphan')
      t.ok(r.wakes >= 2, 'control: the loop was woken for the orphans too')
    } else {
      t.equal(r.reaped, 0, 'no reaped event')
      t.equal(r.wakes, 1, 'one wake-up in all: the program\'s exit')
    }
  }
})

t.test('setReapLines: the addon writes each orphan\'s reap line itself; a name JS must escape goes to JS', async (t) => {
  // an executable whose name (comm) has a backslash, which a text line escapes
  const dir = mkdtempSync(join(tmpdir(), 'tini-ts-native-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const odd = join(dir, 'a\\b')
  copyFileSync('/bin/sleep', odd)
  chmodSync(odd, 0o755)
  const logFile = join(dir, 'log')
  const { result: r } = await scenario(
    t,
    `
    const fd = fs.openSync(${JSON.stringify(logFile)}, 'w+')
    n.onWake(() => pull())
    init({ details: true })
    n.logStart(fd)
    n.setReapEvents(true, true)
    n.setReapLines('[WARN  test (' + process.pid + ')] Reaped zombie process with pid=')
    n.setSubreaper()
    const s = n.spawn({ argv: ['sh', '-c', 'sleep 0.1 & "$0" 0.1 & exit 0', ${JSON.stringify(odd)}], newGroup: true })
    // Only the wake-up's callback drains: the addon writes its lines before
    // it calls JS, so an extra drain here could take an orphan the addon
    // has not come to yet (its batch window still running).
    await until('both orphans reaped', () => n.stats().orphans >= 2 && events.some((e) => e.type === 'programExited'))
    await until('the line and the event', () => {
      n.logFlush(100)
      return fs.readFileSync(${JSON.stringify(logFile)}, 'latin1').includes('\\n') && events.some((e) => e.type === 'reaped')
    })
    await sleep(50) // what else comes, to be seen below
    n.logFlush(2000)
    n.stopWake()
    out({ text: fs.readFileSync(${JSON.stringify(logFile)}, 'latin1'), js: events.filter((e) => e.type === 'reaped').map((e) => e.comm), stats: n.stats(), self: process.pid })
    `,
  )
  const lines = r.text.split('\n').filter(Boolean)
  t.equal(lines.length, 1, 'one line from the addon')
  t.match(lines[0], new RegExp(`^\\[WARN  test \\(${r.self}\\)\\] Reaped zombie process with pid=\\d+ \\(sleep\\)$`), 'the plain name: the line JS would write')
  t.same(r.js, ['a\\b'], 'control: the name with a backslash comes to JS as an event, not as a line')
  t.equal(r.stats.orphans, 2)
})

t.test('reaping through drain(): orphans and the program, as subreaper', async (t) => {
  for (const details of [false, true]) {
    const { result: r } = await scenario(
      t,
      `
      init({ details: ${details} })
      const wasSub = n.isSubreaper()
      n.setSubreaper()
      const s = n.spawn({ argv: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.2 & done; exit 7'], newGroup: true })
      await until('all reaped', () => pull().filter((e) => e.type === 'reaped').length >= 10 && events.some((e) => e.type === 'programExited'))
      await sleep(100)
      pull()
      const kids = fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).filter((d) => {
        try { return fs.readFileSync('/proc/' + d + '/stat', 'latin1').split(') ')[1].split(' ')[1] === String(process.pid) } catch { return false }
      })
      out({ wasSub, isSub: n.isSubreaper(), pid: s.pid, reaped: events.filter((e) => e.type === 'reaped'), exits: events.filter((e) => e.type === 'programExited'), stats: n.stats(), kids })
      `,
    )
    t.equal(r.wasSub, false)
    t.equal(r.isSub, true, 'setSubreaper sets the bit')
    t.same(r.exits, [{ type: 'programExited', pid: r.pid, status: 7 << 8 }], 'the program\'s exit: one programExited event')
    t.equal(r.reaped.filter((e: any) => e.pid === r.pid).length, 0, 'and no reaped event for it')
    const orphans = r.reaped
    t.equal(orphans.length, 10, 'ten orphans reaped')
    t.ok(orphans.every((e: any) => e.status === 0))
    t.equal(r.stats.reaped, 11)
    t.same(r.kids, [], 'no child (zombie or not) left')
    if (details) {
      t.ok(orphans.every((e: any) => e.comm === 'sleep'), 'details: comm of the orphan')
      t.ok(orphans.every((e: any) => e.start > 0), 'details: starttime')
    } else {
      t.ok(orphans.every((e: any) => e.comm === ''), 'no details unless asked')
    }
  }
})

t.test('reaping under holds: killChild in a tight loop while 200 orphans die loses no reap and no exit', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    n.setSubreaper()
    const s = n.spawn({ argv: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do ( (sleep 0.05) & ); i=$((i+1)); done; sleep 0.3; exit 9'], newGroup: true })
    let holds = 0
    while (!pull().some((e) => e.type === 'programExited')) {
      for (let i = 0; i < 200; i++) { n.killChild(s.pid, 0, false); n.killGroup(s.pid, 0); holds += 2 }
      await sleep(1)
    }
    await sleep(100)
    pull()
    const kids = fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).filter((d) => {
      try { return fs.readFileSync('/proc/' + d + '/stat', 'latin1').split(') ')[1].split(' ')[1] === String(process.pid) } catch { return false }
    })
    out({ holds, exit: events.find((e) => e.type === 'programExited'), reaped: n.stats().reaped, kids })
    `,
  )
  t.ok(r.holds > 1000, `${r.holds} holds taken meanwhile`)
  t.equal(r.exit.status, 9 << 8, "the program's exit arrived")
  t.equal(r.reaped, 201, 'every child reaped: the program and its 200 orphans')
  t.same(r.kids, [], 'no zombie left behind a hold')
})

t.test('forwarding: standard and RT signals reach the program; events report it; group mode', async (t) => {
  for (const group of [false, true]) {
    const { result: r } = await scenario(
      t,
      `
      init({ group: ${group} })
      const file = require('os').tmpdir() + '/tini-ts-native-' + process.pid
      const s = n.spawn({ argv: ['sh', '-c', 'exec python3 "$PRINT_SIGNALS" > ' + file], newGroup: true })
      const lines = () => { try { return fs.readFileSync(file, 'latin1').trim().split('\\n') } catch { return [] } }
      await until('ready', () => lines()[0] && lines()[0].startsWith('ready'))
      const got = []
      for (const sig of [10, 1, 28, 34, 40, 64, 2, 15]) {
        process.kill(process.pid, sig)
        await until('signal ' + sig, () => lines().includes(sig + ' ' + (lines().find((l) => l.startsWith(sig + ' ')) || '').split(' ')[1]))
        got.push(sig)
      }
      await until('events', () => pull().filter((e) => e.type === 'signal').length >= 8)
      n.kill(s.pid, 9)
      fs.unlinkSync(file)
      out({ pid: s.pid, got, lines: lines, events: events.filter((e) => e.type === 'signal'), stats: n.stats(), self: process.pid })
      `,
    )
    t.same(r.got, [10, 1, 28, 34, 40, 64, 2, 15], `group=${group}: each signal printed by the program`)
    t.equal(r.events.length, 8)
    for (const e of r.events) {
      t.equal(e.err, 0, `signal ${e.signal} delivered`)
      t.equal(e.sentAs, e.signal, 'sent as received')
      t.equal(e.target, group ? -r.pid : r.pid, group ? 'to the group' : 'to the pid')
      t.equal(e.sender, r.self, 'sender recorded')
    }
    t.equal(r.stats.forwarded, 8)
  }
})

t.test('a signal that arrives before spawn is delivered once the program runs', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    process.kill(process.pid, 'SIGTERM')
    await until('held', () => pull().some((e) => e.type === 'signal' && e.signal === 15))
    const held = events.find((e) => e.type === 'signal')
    const s = n.spawn({ argv: ['sleep', '30'], newGroup: true })
    await until('reaped', () => pull().some((e) => e.type === 'programExited'))
    out({ held, pid: s.pid, status: events.find((e) => e.type === 'programExited').status, events, HELD: n.constants.held })
    `,
  )
  t.equal(r.held.err, r.HELD, 'held while no program')
  t.equal(r.HELD, -1)
  t.equal(r.status & 0x7f, 15, 'program killed by the held SIGTERM')
  const sent = r.events.filter((e: any) => e.type === 'signal' && e.err === 0)
  t.equal(sent.length, 1, 'delivered exactly once')
  t.equal(sent[0].target, r.pid)
})

t.test('kill() errno; forwarding to a dead program is ESRCH, not a crash', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    const s = n.spawn({ argv: ['true'], newGroup: true })
    await until('reaped', () => pull().some((e) => e.type === 'programExited'))
    const dead = n.kill(s.pid, 0)
    process.kill(process.pid, 'SIGUSR1')
    await until('event', () => pull().some((e) => e.type === 'signal'))
    out({ dead, bogus: n.kill(2 ** 22 + 7, 0), self: n.kill(process.pid, 0), ev: events.find((e) => e.type === 'signal') })
    `,
  )
  t.equal(r.dead, 3, 'ESRCH for the reaped program')
  t.equal(r.bogus, 3, 'ESRCH for a pid that cannot exist')
  t.equal(r.self, 0)
  t.equal(r.ev.err, 3, 'forwarding after the program is gone reports ESRCH')
  t.equal(r.ev.signal, 10)
})

t.test('SIGPIPE from the init\'s own write is not forwarded; one from outside is', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    const dir = fs.mkdtempSync(require('os').tmpdir() + '/tini-ts-fifo-')
    require('child_process').execFileSync('mkfifo', [dir + '/f'])
    init()
    const file = dir + '/out'
    const s = n.spawn({ argv: ['sh', '-c', 'exec python3 "$PRINT_SIGNALS" > ' + file], newGroup: true })
    const lines = () => { try { return fs.readFileSync(file, 'latin1').trim().split('\\n') } catch { return [] } }
    await until('ready', () => (lines()[0] || '').startsWith('ready'))
    const rd = fs.openSync(dir + '/f', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const wr = fs.openSync(dir + '/f', fs.constants.O_WRONLY)
    fs.closeSync(rd)
    let epipe = ''
    try { fs.writeSync(wr, 'x') } catch (e) { epipe = e.code }
    await sleep(300)
    const afterOwn = lines().slice(1)
    process.stdout.write('PIPE-READY\\n')
    await until('outside SIGPIPE', () => lines().includes('13 SIGPIPE'))
    pull()
    n.kill(s.pid, 9)
    fs.rmSync(dir, { recursive: true })
    out({ epipe, afterOwn, pipes: events.filter((e) => e.type === 'signal' && e.signal === 13) })
    `,
    {
      onStart: (pid, sub) => {
        sub.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('PIPE-READY')) process.kill(pid, 'SIGPIPE')
        })
      },
    },
  )
  t.equal(r.epipe, 'EPIPE', 'the init\'s write failed with EPIPE')
  t.same(r.afterOwn, [], 'program got nothing from the init\'s own SIGPIPE')
  t.equal(r.pipes.length, 1, 'one SIGPIPE forwarded: the one from outside')
  t.equal(r.pipes[0].err, 0)
  t.equal(r.pipes[0].sender, process.pid)
})

t.test('ttyInfo / giveTerminal without a terminal; prctl calls', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    const tty = n.ttyInfo()
    n.setParentDeathSignal(15)
    let bad = null
    try { n.setParentDeathSignal(99) } catch (e) { bad = { name: e.name, msg: e.message } }
    const stat = (p) => fs.readFileSync('/proc/' + p + '/stat', 'latin1').split(') ')[1].split(' ')
    out({ tty, give: n.giveTerminal(tty.pgrp), pgrp: Number(stat('self')[2]), sid: Number(stat('self')[3]), parentSid: Number(stat(process.ppid)[3]), pid: process.pid, bad })
    `,
  )
  t.same(Object.keys(r.tty).sort(), ['foreground', 'isatty', 'parentSid', 'pgrp', 'sid'])
  t.equal(r.tty.sid, r.sid, 'sid: getsid(0)')
  t.equal(r.tty.parentSid, r.parentSid, "parentSid: the parent's session")
  t.equal(r.tty.isatty, 0, 'stdin is a pipe')
  t.equal(r.tty.foreground, -1, 'no foreground group without a terminal')
  t.equal(r.tty.pgrp, r.pgrp)
  t.equal(r.give, 25, 'giveTerminal: ENOTTY')
  t.equal(r.bad?.name, 'TypeError', 'a bad parent-death signal is refused before prctl')
})

t.test('spawn(listenPid): a LISTEN_PID naming the init is the program\'s pid in its environ; anything else passes as is', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    const run = async (env, listenPid) => {
      const f = '/tmp/tini-ts-native-env-' + process.pid + '-' + Math.random().toString(36).slice(2)
      const s = n.spawn({ argv: ['/bin/sh', '-c', '/bin/cat /proc/$$/environ > ' + f], env, newGroup: false, takeTty: false, keepFds: [], exactArgv: false, listenPid })
      await until('exit', () => pull().some((e) => e.type === 'programExited' && e.pid === s.pid))
      const got = fs.readFileSync(f, 'latin1').split('\\0').slice(0, -1)
      fs.unlinkSync(f)
      return { pid: s.pid, got }
    }
    const me = String(process.pid)
    out({
      me,
      named: await run(['A=1', 'LISTEN_PID=' + me, 'LISTEN_FDS=2', 'LISTEN_PID=' + me], true),
      off: await run(['A=1', 'LISTEN_PID=' + me], false),
      other: await run(['LISTEN_PID=1', 'B=2'], true),
      bad: await run(['LISTEN_PID=' + me + 'x'], true),
      empty: await run(['LISTEN_PID='], true),
    })
    `,
  )
  t.same(r.named.got, ['A=1', `LISTEN_PID=${r.named.pid}`, 'LISTEN_FDS=2', `LISTEN_PID=${r.me}`], 'the first LISTEN_PID (the one getenv finds) now names the program')
  t.same(r.off.got, ['A=1', `LISTEN_PID=${r.me}`], 'listenPid false: untouched')
  t.same(r.other.got, ['LISTEN_PID=1', 'B=2'], 'another pid: untouched')
  t.same(r.bad.got, [`LISTEN_PID=${r.me}x`], 'not a number: untouched')
  t.same(r.empty.got, ['LISTEN_PID='], 'empty: untouched')
})

t.test('setJobControl: the program stopping stops the init\'s group; SIGCONT continues the program', async (t) => {
  // detached: the scenario leads its own group and session, so the stop of
  // its group stops nothing else.
  let scenarioPid = 0
  const run = scenario(
    t,
    `
    init()
    n.setJobControl(true)
    const s = n.spawn({ argv: ['/bin/sleep', '100'], newGroup: true, keepFds: [] })
    process.kill(s.pid, 'SIGSTOP')
    await until('continued', () => fs.readFileSync('/proc/' + s.pid + '/stat', 'latin1').split(') ')[1][0] === 'S' && pull().some((e) => e.type === 'stopped'))
    out({ events: events.filter((e) => e.type === 'stopped'), pid: s.pid })
    `,
    { detached: true, onStart: (pid) => (scenarioPid = pid) },
  )
  const init = await waitFor('the init stopped', () => (scenarioPid && procStat(scenarioPid)?.state === 'T' ? scenarioPid : 0))
  t.pass('the init stopped itself after the program stopped')
  process.kill(init, 'SIGCONT')
  const { result: r } = await run
  t.equal(r.events.length, 1, 'one stop event')
  t.equal(r.events[0].pid, r.pid)
  t.equal(r.events[0].signal, 19, 'stopped by SIGSTOP')
})

t.test('control: without setJobControl the program stopping leaves the init running', async (t) => {
  const { result: r } = await scenario(
    t,
    `
    init()
    const s = n.spawn({ argv: ['/bin/sleep', '100'], newGroup: true, keepFds: [] })
    process.kill(s.pid, 'SIGSTOP')
    await until('program stopped', () => fs.readFileSync('/proc/' + s.pid + '/stat', 'latin1').split(') ')[1][0] === 'T')
    await sleep(300)
    out({ self: fs.readFileSync('/proc/self/stat', 'latin1').split(') ')[1][0], stops: pull().filter((e) => e.type === 'stopped').length })
    `,
    { detached: true },
  )
  t.equal(r.self, 'R', 'the init runs on (it is reading its own stat)')
  t.equal(r.stops, 0, 'no stop event')
})
