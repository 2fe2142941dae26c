// An orphan's command name is chosen by whoever runs it
// (prctl(PR_SET_NAME), up to 15 bytes). With a newline in it, the text log
// line "Reaped zombie process with pid=N (name)" became two lines, the second
// one forged. Text lines escape control characters; JSON escapes them itself.
import t from 'tap'
import { execa } from 'execa'
import { tiniArgv } from '../helpers/tini'

// A real process renames itself, exits, and its parent (python) exits without
// waiting: the zombie goes to tini-ts (-s), which reaps it and logs its comm.
const FORGED = 'x\n[WARN  FAKE]'
const PY = `
import ctypes, os, time
if os.fork() == 0:
    ctypes.CDLL(None).prctl(15, ${JSON.stringify(FORGED)}.encode(), 0, 0, 0)
    os._exit(0)
time.sleep(0.05)
`
const PROGRAM = ['sh', '-c', '/usr/bin/python3 -c "$1" & sleep 0.5', 'sh', PY]

async function run(flags: string[]) {
  const [file, ...rest] = tiniArgv(['-s', ...flags, '--', ...PROGRAM])
  return execa(file, rest, { reject: false, timeout: 30_000, stdin: 'ignore' })
}

for (const flags of [['-w'], ['-vvv'], ['-w', '-vvv']]) {
  t.test(`text log (${flags.join(' ')}): a newline in a reaped orphan's name does not start a line`, async (t) => {
    const r = await run(flags)
    t.equal(r.exitCode, 0)
    t.match(r.stderr, /Reaped zombie process with pid=\d+ \(x\\n\[WARN {2}FAKE\]\)/, 'the name is shown, escaped')
    const lines = r.stderr.split('\n').filter((l) => l !== '')
    for (const l of lines) t.match(l, /^\[(WARN |INFO |DEBUG|TRACE|FATAL) tini-ts \(\d+\)\] /, `a real log line: ${JSON.stringify(l)}`)
    t.notOk(lines.some((l) => l.startsWith('[WARN  FAKE]')), 'no forged line')
  })
}

t.test('json log: the name comes through exact, on one line', async (t) => {
  const r = await run(['--log-format', 'json', '-vvv'])
  t.equal(r.exitCode, 0)
  const events = r.stderr.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: string; comm?: string })
  const reaped = events.filter((e) => e.event === 'reaped')
  t.ok(reaped.some((e) => e.comm === FORGED), 'the comm field holds the raw name')
})

t.test('control: without an init in the way, the name really holds a newline', async (t) => {
  const r = await execa('/usr/bin/python3', ['-c', `
import ctypes, os
ctypes.CDLL(None).prctl(15, ${JSON.stringify(FORGED)}.encode(), 0, 0, 0)
print(open('/proc/self/comm').read(), end='')
`])
  t.equal(r.stdout, FORGED, 'the kernel keeps the newline in comm')
})
