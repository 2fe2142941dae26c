// TINI_TS_ADDON names a shared object to dlopen. The executable runs as root
// PID 1, so it must not honour it: whoever sets the environment would run code
// in the init. The npm route keeps it (that Node obeys NODE_OPTIONS anyway).
//  - control: the npm route (`node bin/tini-ts`) with the variable runs the
//    object's constructor (test/fixtures/race/evil.c writes a marker);
//  - the executable, on the Node path (-vv), with the same variable does not,
//    and still runs the program.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { installedNode, REPO } from '../helpers/tini'

const EXE = path.resolve(REPO, process.env.TINI_TS_BIN ?? 'dist/tini-ts')
const skip = !fs.existsSync(EXE) ? 'needs npm run build' : spawnSync('sh', ['-c', 'command -v gcc']).status !== 0 ? 'needs gcc' : false

t.test('TINI_TS_ADDON is not loaded by the executable', { skip }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tini-ts-addon-env-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const marker = path.join(dir, 'loaded')
  const evil = path.join(dir, 'evil.so')
  const cc = spawnSync('gcc', ['-shared', '-fPIC', `-DMARKER="${marker}"`, '-o', evil, path.join(REPO, 'test', 'fixtures', 'race', 'evil.c')])
  t.equal(cc.status, 0, 'fixture compiles')
  const env = { ...process.env, TINI_TS_ADDON: evil }
  delete env.NODE_OPTIONS

  // Control: the npm route honours the variable, so the marker shows a load.
  const npm = spawnSync(installedNode(), [path.join(REPO, 'bin', 'tini-ts'), '-vv', '--', 'true'], { env, encoding: 'utf8' })
  t.ok(fs.existsSync(marker), `control: the npm route loads TINI_TS_ADDON (exit ${npm.status})`)
  fs.rmSync(marker, { force: true })

  const r = spawnSync(EXE, ['-vv', '--', 'sh', '-c', 'echo ran'], { env, encoding: 'utf8' })
  t.equal(r.status, 0, `the program runs (stderr: ${r.stderr})`)
  t.equal(r.stdout, 'ran\n')
  t.notOk(fs.existsSync(marker), 'the executable did not load the named object')
})
