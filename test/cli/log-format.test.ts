// --log-format json / TINI_TS_LOG_FORMAT; text reads like tini's.
import t from 'tap'
import { execa } from 'execa'
import { tiniArgv, waitFor } from '../helpers/tini'

const ORPHANING = "(sleep 0.1 &); (sleep 0.1 &); sleep 0.4; exit 3"

async function run(args: string[], env: Record<string, string> = {}) {
  const [file, ...rest] = tiniArgv(args)
  return execa(file, rest, { reject: false, timeout: 30_000, env })
}

t.test('json: every line parses, reaped orphans carry pid, comm, status and age', async (t) => {
  const r = await run(['-s', '-vv', '-w', '--log-format', 'json', '--', 'sh', '-c', ORPHANING])
  t.equal(r.exitCode, 3)
  const lines = r.stderr.split('\n').filter(Boolean)
  t.ok(lines.length >= 4, 'several lines')
  const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  for (const o of objs) {
    t.type(o.level, 'string')
    t.type(o.time, 'number')
    t.type(o.msg, 'string')
    t.type(o.event, 'string')
  }
  const reaped = objs.filter((o) => o.event === 'reaped')
  t.equal(reaped.length, 2, 'both orphans reaped and logged')
  for (const o of reaped) {
    t.type(o.pid, 'number')
    t.equal(o.comm, 'sleep')
    t.equal(o.code, 0)
    t.ok((o.livedMs as number) >= 50, `lived ${o.livedMs} ms`)
  }
  const events = new Set(objs.map((o) => o.event))
  for (const e of ['spawned', 'exited', 'summary']) t.ok(events.has(e), `has a '${e}' event`)
  const summary = objs.find((o) => o.event === 'summary') as Record<string, unknown>
  t.equal(summary.orphansReaped, 2)
  t.equal(summary.code, 3)
})

t.test('TINI_TS_LOG_FORMAT=json selects json; the default is tini-like text', async (t) => {
  const j = await run(['-s', '-v', '--', 'true'], { TINI_TS_LOG_FORMAT: 'json' })
  t.ok(j.stderr.split('\n').filter(Boolean).every((l) => typeof JSON.parse(l).msg === 'string'))
  const x = await run(['-s', '-v', '--', 'true'])
  t.match(x.stderr, /^\[INFO {2}tini-ts \(\d+\)\] Spawned child process 'true' with pid '\d+'$/m)
  const bad = await run(['-s', '--', 'true'], { TINI_TS_LOG_FORMAT: 'yaml' })
  t.equal(bad.exitCode, 1)
  t.match(bad.stderr, /TINI_TS_LOG_FORMAT must be text or json/)
})

t.test('signals forwarded appear as events at -vv (json)', async (t) => {
  const [file, ...rest] = tiniArgv(['-s', '-vvv', '--log-format', 'json', '--', 'sh', '-c', 'trap "exit 0" TERM; echo ready; while :; do sleep 0.05; done'])
  const p = execa(file, rest, { reject: false, timeout: 30_000 })
  let out = ''
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  await waitFor('program ready (its trap set)', () => out.includes('ready\n'))
  process.kill(p.pid as number, 'SIGTERM')
  const r = await p
  const fwd = r.stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((o) => o.event === 'forwarded')
  t.equal(fwd.length, 1)
  t.equal(fwd[0].signal, 'SIGTERM')
})
