// The PATH search: tini-ts searches PATH itself, in the parent,
// and its child calls plain execve(2) (execvp(3) is not async-signal-safe,
// signal-safety(7)). It must still behave as tini's execvp: each case runs
// under tini-ts and under Debian's tini (the oracle) with the same PATH, cwd
// and files, and compares exit code and output.
import t from 'tap'
import { execa } from 'execa'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { haveBinary, tiniArgv } from '../helpers/tini'

const TMP = mkdtempSync(join(tmpdir(), 'tini-ts-path-'))
t.teardown(() => rmSync(TMP, { recursive: true, force: true }))

function file(rel: string, text: string, mode: number): void {
  const p = join(TMP, rel)
  mkdirSync(join(p, '..'), { recursive: true })
  writeFileSync(p, text)
  chmodSync(p, mode)
}
const A = join(TMP, 'a')
const B = join(TMP, 'b')
const CWD = join(TMP, 'cwd')
mkdirSync(A)
mkdirSync(B)
mkdirSync(CWD)
file('a/noexec', '#!/bin/sh\necho a-noexec\n', 0o644)
file('a/both', '#!/bin/sh\necho a-both\n', 0o644) // not executable: EACCES, remembered
file('b/both', '#!/bin/sh\necho b-both; exit 5\n', 0o755) // ... and then found here
mkdirSync(join(A, 'isdir'))
file('b/isdir', '#!/bin/sh\necho b-isdir; exit 8\n', 0o755)
file('a/plain', 'echo plain-script-under-sh "$0" "$1"; exit 6\n', 0o755) // no #!: ENOEXEC, /bin/sh runs it
file('cwd/here', '#!/bin/sh\necho here; exit 9\n', 0o755)

// [name, PATH (undefined: unset), argv]
const CASES: [string, string | undefined, string[]][] = [
  ['not executable anywhere: EACCES', `${A}:${B}`, ['noexec']],
  ['EACCES in the first entry, found in the second', `${A}:${B}`, ['both']],
  ['a directory in the first entry, a program in the second', `${A}:${B}`, ['isdir']],
  ['a script without #! found on PATH runs under /bin/sh', `${A}`, ['plain', 'x']],
  ['a script without #! by path runs under /bin/sh', '/usr/bin:/bin', [join(A, 'plain'), 'y']],
  ['not found on PATH', `${A}:${B}`, ['no-such-program-tini-ts']],
  ['an empty entry is the current directory', `/nonexistent::${B}`, ['here']],
  ['a leading colon too', `:${B}`, ['here']],
  ['no empty entry: the current directory is not searched', `${B}:/usr/bin`, ['here']],
  ['a name with a slash is not searched', `${B}`, ['./here']],
  ['PATH unset: /bin:/usr/bin', undefined, ['sh', '-c', 'echo unset; exit 4']],
  ['empty PATH: the current directory only', '', ['here']],
  ['an empty program name', `${B}`, ['']],
]

async function run(argv: string[], path: string | undefined) {
  const env: Record<string, string> = { HOME: '/root', TINI_SUBREAPER: '' }
  if (path !== undefined) env.PATH = path
  const [f, ...pre] = argv
  const r = await execa(f, pre, { cwd: CWD, env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' })
  return { code: r.exitCode, out: r.stdout }
}

t.test('PATH search as execvp: tini-ts against tini', { skip: !haveBinary('tini') && 'tini not installed (apt-get install tini)' }, async (t) => {
  for (const [name, path, argv] of CASES) {
    const [ours, tini] = await Promise.all([run(tiniArgv(['--', ...argv]), path), run(['/usr/bin/tini', '--', ...argv], path)])
    t.same(ours, tini, `${name}: ${JSON.stringify(tini)}`)
  }
})

t.test('the expected outcomes (so the oracle is checked too)', async (t) => {
  const expect: Record<string, { code: number; out?: string }> = {
    'not executable anywhere: EACCES': { code: 126 },
    'EACCES in the first entry, found in the second': { code: 5, out: 'b-both' },
    'a directory in the first entry, a program in the second': { code: 8, out: 'b-isdir' },
    'a script without #! found on PATH runs under /bin/sh': { code: 6, out: `plain-script-under-sh ${join(A, 'plain')} x` },
    'not found on PATH': { code: 127 },
    'an empty entry is the current directory': { code: 9, out: 'here' },
    'no empty entry: the current directory is not searched': { code: 127 },
    'PATH unset: /bin:/usr/bin': { code: 4, out: 'unset' },
    'an empty program name': { code: 127 },
  }
  for (const [name, path, argv] of CASES) {
    if (!(name in expect)) continue
    const r = await run(tiniArgv(['--', ...argv]), path)
    t.equal(r.code, expect[name].code, `${name}: exit ${expect[name].code}`)
    if (expect[name].out !== undefined) t.equal(r.out, expect[name].out, `${name}: output`)
  }
})
