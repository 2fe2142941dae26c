import t, { type Test } from 'tap'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { execFileSync, spawn } from 'child_process'
import {
  SIGCHLD,
  clockTicks,
  listPids,
  maskHas,
  processAgeSeconds,
  procSelfPid,
  readBootTime,
  readCmdline,
  readStat,
  readStatus,
  readUptime,
} from '../../../src/lib/proc'

// A real stat line (cat reading its own /proc/self/stat), for the field layout.
const CAT_STAT =
  '4797 (cat) R 4795 4795 2526 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 28494 3133440 411 ' +
  '18446744073709551615 94018366820352 94018366840233 140721727845056 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 ' +
  '94018366856240 94018366857856 94018414600192 140721727846942 140721727846962 140721727846962 140721727848427 0\n'

/** The same line with another comm. */
const withComm = (comm: string, state = 'R'): string => CAT_STAT.replace('(cat) R', `(${comm}) ${state}`)

/** A fake /proc holding one file, /proc/PID/NAME, for the readers to parse. */
function procWith(t: Test, pid: number | 'self', name: string, content: string | Buffer): string {
  const root = t.testdir({})
  fs.mkdirSync(path.join(root, String(pid)))
  fs.writeFileSync(path.join(root, String(pid), name), content)
  return root
}
const statOf = (t: Test, text: string) => readStat(4797, procWith(t, 4797, 'stat', text))
const statusOf = (t: Test, text: string) => readStatus(42, procWith(t, 42, 'status', text))
const cmdlineOf = (t: Test, text: string) => readCmdline(7, procWith(t, 7, 'cmdline', text))

/** The signals in a mask, ascending, as maskHas sees them. */
const signalsIn = (mask: bigint | null | undefined): number[] => [...Array(64).keys()].map((i) => i + 1).filter((n) => maskHas(mask, n))

t.test('readStat: ordinary line', async (t) => {
  const s = statOf(t, CAT_STAT)
  t.ok(s)
  t.same(s, {
    pid: 4797,
    comm: 'cat',
    state: 'R',
    ppid: 4795,
    pgrp: 4795,
    session: 2526,
    numThreads: 1,
    starttime: 28494,
  })
})

t.test('readStat: odd comms (spaces, parentheses, newlines, look-alike fields)', async (t) => {
  const odd = [
    ...['a b', '', ' ', 'x\ny', 'tab\there'], // spaces, nothing, control characters
    ...['a) R 1 (b', ')', '(', '((', '))) Z 99 (', ') S 1 2 3 4'], // parentheses, look-alike fields
    ...['ünï ☃', 'leaky-parent', 'kworker/0:1-ev'], // UTF-8, ordinary names
  ]
  for (const comm of odd) {
    const s = statOf(t, withComm(comm, 'Z'))
    t.ok(s, `parsed ${JSON.stringify(comm)}`)
    t.equal(s?.comm, comm, `comm ${JSON.stringify(comm)}`)
    t.equal(s?.state, 'Z', `state after ${JSON.stringify(comm)}`)
    t.equal(s?.ppid, 4795, `ppid after ${JSON.stringify(comm)}`)
    t.equal(s?.starttime, 28494, `starttime after ${JSON.stringify(comm)}`)
  }
})

t.test('readStat: garbage is rejected, not thrown', async (t) => {
  for (const bad of ['', '\n', 'hello', '12 (x)', '12 (x) R 1 2', 'x (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5', '-1 (x)']) {
    t.equal(statOf(t, bad), null, JSON.stringify(bad))
  }
  t.equal(statOf(t, CAT_STAT.replace(') R', ') 7')), null, 'state must be a letter')
  t.equal(statOf(t, CAT_STAT.replace(') R 4795', ') R x')), null, 'a number must be a number')
  t.ok(statOf(t, CAT_STAT), 'control: the line itself parses')
})

t.test('readStat: the test process itself', async (t) => {
  const s = readStat(process.pid)
  t.ok(s)
  t.equal(s?.pid, process.pid)
  t.equal(s?.comm, fs.readFileSync(`/proc/${process.pid}/comm`, 'utf8').replace(/\n$/, ''))
  t.equal(s?.ppid, process.ppid)
  t.match(s?.state, /^[RS]$/)
  t.ok((s?.numThreads ?? 0) >= 1, 'node has threads')
  t.ok((s?.starttime ?? -1) > 0)
  // starttime is ticks since boot: our age must be close to process.uptime().
  const age = processAgeSeconds(s!.starttime, { uptime: readUptime() })
  t.ok(age !== null && Math.abs(age - process.uptime()) < 2, `age ${age} vs uptime ${process.uptime()}`)
  t.same(readStat('self')?.pid, process.pid)
})

t.test('readStat: a real process with an odd comm', async (t) => {
  // comm is the basename of the path passed to execve(), so a symlink can
  // give `sleep` any name (up to 15 bytes).
  const dir = t.testdir({})
  const comm = 'a) Z 1 (b c'
  const link = path.join(dir, comm)
  fs.symlinkSync(fs.existsSync('/usr/bin/sleep') ? '/usr/bin/sleep' : '/bin/sleep', link)
  const child = spawn(link, ['30'], { stdio: 'ignore' })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', reject)
  })
  let s = readStat(child.pid!)
  for (let i = 0; i < 100 && s?.comm !== comm; i++) {
    await new Promise((r) => setTimeout(r, 20))
    s = readStat(child.pid!)
  }
  t.equal(s?.comm, comm)
  t.equal(s?.ppid, process.pid)
  // D too: right after execve a loaded machine can catch it paging in its binary
  t.match(s?.state, /^[RSD]$/, 'a live process, parsed past the odd comm')
  t.same(readCmdline(child.pid!), [link, '30'])
})

t.test('signal masks', async (t) => {
  t.equal(statusOf(t, 'SigCgt:\t0000000000010002\n')?.sigCgt, 0x10002n)
  t.equal(statusOf(t, 'SigCgt:\tzz\n')?.sigCgt, null, 'not hexadecimal')
  t.equal(statusOf(t, 'SigCgt:\t\n')?.sigCgt, null, 'empty')
  // proc(5): signal N is bit N-1. 0x10002 = SIGINT (2) and SIGCHLD (17).
  const m = 0x10002n
  t.ok(maskHas(m, 2))
  t.ok(maskHas(m, 17))
  t.notOk(maskHas(m, 1))
  t.notOk(maskHas(m, 16))
  t.notOk(maskHas(m, 18))
  t.notOk(maskHas(null, 17))
  t.notOk(maskHas(m, 0))
  t.same(signalsIn(m), [2, 17])
  t.same(signalsIn(0n), [])
  t.same(signalsIn(0x8000000000000000n), [64], 'SIGRTMAX')
  // A shell blocking "everything" while it forks: all but SIGKILL, SIGSTOP and glibc's 32/33.
  const all = signalsIn(statusOf(t, 'SigBlk:\tfffffffe7ffbfeff\n')?.sigBlk)
  t.equal(all.length, 60)
  t.same([9, 19, 32, 33].filter((n) => all.includes(n)), [])
  t.equal(SIGCHLD, os.constants.signals.SIGCHLD)
})

t.test('readStatus: the test process itself', async (t) => {
  // Node installs a handler for SIGUSR2 when asked to, and ignores SIGPIPE.
  const onUsr2 = (): void => {}
  process.on('SIGUSR2', onUsr2)
  t.teardown(() => {
    process.off('SIGUSR2', onUsr2)
  })
  const st = readStatus(process.pid)
  t.ok(st)
  t.equal(st?.name, readStat(process.pid)?.comm)
  t.ok(maskHas(st?.sigCgt, os.constants.signals.SIGUSR2), 'SIGUSR2 caught')
  t.ok(maskHas(st?.sigIgn, os.constants.signals.SIGPIPE), 'SIGPIPE ignored by node')
  t.notOk(maskHas(st?.sigIgn, os.constants.signals.SIGUSR2))
  t.equal(typeof st?.sigBlk, 'bigint')
})

t.test('readStatus: fixture', async (t) => {
  // /proc/PID/status as the kernel prints it (tabs after the colons)
  const text = `Name:\tweird\\nname
Umask:\t0022
State:\tZ (zombie)
Tgid:\t42
PPid:\t7
Uid:\t1000\t1001\t1002\t1003
Gid:\t100\t100\t100\t100
Threads:\t1
SigQ:\t0/63455
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000000000000
SigIgn:\t0000000000010000
SigCgt:\t0000000000004002
`
  const st = statusOf(t, text)
  t.equal(st?.name, 'weird\\nname', 'the kernel escapes control characters in Name')
  t.ok(maskHas(st?.sigIgn, 17), 'SIGCHLD ignored')
  t.notOk(maskHas(st?.sigCgt, 17))
  t.same(signalsIn(st?.sigCgt), [2, 15])
  t.equal(st?.sigBlk, 0n)
  t.same(statusOf(t, ''), { name: null, sigBlk: null, sigIgn: null, sigCgt: null }, 'an empty file: every field null')
  t.equal(readStatus(42, t.testdir({})), null, 'no such process')
})

t.test('clock ticks: AT_CLKTCK of the auxiliary vector, as sysconf(_SC_CLK_TCK)', async (t) => {
  // The oracle: getconf asks glibc's sysconf.
  const getconf = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  t.equal(clockTicks(), getconf, 'read from /proc/self/auxv')
  t.equal(clockTicks('/nonexistent'), 100, "no /proc: glibc's own fallback")
  // {AT_PAGESZ 6: 4096, AT_CLKTCK 17: 250, AT_NULL}, in the words of x64 and
  // arm64 (64-bit, little-endian; test/unit/lib/auxv.test.ts has the others)
  const vector = (...words: number[]): Buffer => {
    const b = Buffer.alloc(words.length * 8)
    words.forEach((w, i) => b.writeBigUInt64LE(BigInt(w), i * 8))
    return b
  }
  const auxv = (b: Buffer) => clockTicks(procWith(t, 'self', 'auxv', b))
  t.equal(auxv(vector(6, 4096, 17, 250, 0, 0)), 250, 'the entry found')
  t.equal(auxv(vector(6, 4096, 0, 0, 17, 250)), 100, 'nothing after AT_NULL counts')
  t.equal(auxv(vector(17, 0, 0, 0)), 100, 'a zero is no answer')
  t.equal(auxv(Buffer.alloc(0)), 100, 'empty')
})

t.test('readCmdline', async (t) => {
  t.same(cmdlineOf(t, 'sleep\u000030\u0000'), ['sleep', '30'])
  t.same(cmdlineOf(t, ''), [], 'zombies and kernel threads')
  t.same(cmdlineOf(t, 'a\u0000\u0000b\u0000'), ['a', '', 'b'], 'empty argument in the middle kept')
  t.same(cmdlineOf(t, 'tini-ts' + '\u0000'.repeat(40)), ['tini-ts'], 'process.title padding')
  t.same(cmdlineOf(t, 'nginx: master process nginx'), ['nginx: master process nginx'], 'setproctitle without NULs')
  t.same(readCmdline(process.pid), process.execArgv.length === 0 ? readCmdline('self') : readCmdline(process.pid))
  t.equal(readCmdline(process.pid)?.[0], process.argv0)
})

t.test('clock, pids and misses', async (t) => {
  const up = readUptime()
  t.ok(up !== null && up > 0)
  const bt = readBootTime()
  t.ok(bt !== null && Math.abs(bt + up! - Date.now() / 1000) < 5, 'btime + uptime ~ now')
  t.equal(processAgeSeconds(5000, { uptime: 100, clockTicks: 100 }), 50)
  t.equal(processAgeSeconds(5000, { uptime: 100, clockTicks: 250 }), 80, 'the clock ticks given are used')
  t.equal(processAgeSeconds(5000 * clockTicks() / 100, { uptime: 100 }), 50, 'default: this system\'s clock ticks')
  t.equal(processAgeSeconds(5000, { uptime: 10, clockTicks: 100 }), 0, 'never negative')
  t.equal(processAgeSeconds(5000, { uptime: null, btime: 1000, nowMs: 1080_000, clockTicks: 100 }), 30, 'btime fallback')
  t.equal(processAgeSeconds(5000, { uptime: null }), null)
  const pids = listPids()
  t.ok(pids.includes(process.pid))
  t.same(pids, [...pids].sort((a, b) => a - b))
  t.equal(procSelfPid(), process.pid)

  // Missing / unreadable entries are null or empty, never a throw.
  const gone = 4194304 + 1 // above pid_max
  t.equal(readStat(gone), null)
  t.equal(readStatus(gone), null)
  t.equal(readCmdline(gone), null)
  const fake = t.testdir({ '12': { stat: 'garbage' }, abc: {}, '007': {} })
  t.same(listPids(fake), [12], 'only canonical numeric names')
  t.equal(readStat(12, fake), null)
  t.equal(readUptime(fake), null)
  t.equal(readBootTime(fake), null)
  t.equal(procSelfPid(fake), null)
  t.same(listPids(path.join(fake, 'nope')), [])
})
