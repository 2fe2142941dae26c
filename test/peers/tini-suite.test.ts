// tini's own tests (krallin/tini 0.19.0, from Debian's source package) run
// against tini-ts: test/run_inner_tests.py and the smoke checks of
// ci/run_build.sh, section by section (sections.py). Every section must pass,
// except the documented deviations below (README "tini's own test suite"),
// which must fail the way the table says: if one starts passing, the table
// is out of date.
import t from 'tap'
import { join } from 'node:path'
import { rmSync } from 'node:fs'
import { compileSigconf, missingPython, peerEnv, peerSources, runSections, scratchBin, tiniTsBinary, type SectionResult } from './peers'

const DEVIATIONS: Record<string, { error: RegExp; reason: string }> = {
  // run_inner_tests.py
  'Running signal configuration test': {
    error: /SIGTTOU \(22\) is missing in SigIgn/,
    reason: 'Node resets signal dispositions and the mask at start-up, before any tini-ts code runs: the program gets default dispositions, not the ignored/blocked set tini-ts inherited',
  },
  // ci/run_build.sh
  'Testing tini --version': { error: /exit 1/, reason: 'prints "tini-ts version X", not "tini version X"' },
  'Testing tini for license': { error: /exit 1/, reason: "tini-ts's own MIT license text, not tini's LICENSE file" },
  'Checking hardening on tini': {
    error: /exit 127/,
    reason: 'hardening-check (devscripts) checks a C build; the executable is Node with a Node-API addon',
  },
}

const sources = peerSources()
const noPython = missingPython(['psutil', 'prctl'])
if (typeof sources === 'string' || noPython) {
  t.comment(`SKIP tini's own test suite: ${typeof sources === 'string' ? sources : noPython}`)
  t.pass('skipped: ' + (typeof sources === 'string' ? sources : noPython))
} else {
  const tiniTs = tiniTsBinary()
  const scratch = scratchBin({ tini: tiniTs })
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }))
  compileSigconf(sources.tini, scratch)
  const env = peerEnv(
    {
      SOURCE_DIR: sources.tini,
      BUILD_DIR: scratch,
      FORCE_SUBREAPER: '1',
      PYTHONPATH: join(__dirname, 'shims'),
      tini: join(scratch, 'tini'),
      CC: 'gcc',
    },
    [join(scratch, 'bin')],
  )

  const check = (t: import("tap").Test, results: SectionResult[], expected: string[], output: string) => {
    const names = results.map((r) => r.section)
    for (const name of expected) t.ok(names.includes(name), `section ran: ${name}`)
    for (const r of results) {
      const dev = DEVIATIONS[r.section]
      if (dev) {
        t.notOk(r.ok, `${r.section}: documented deviation (${dev.reason})`)
        t.match(r.error ?? '', dev.error, `${r.section}: fails as documented`)
      } else {
        t.ok(r.ok, r.section, { error: r.error, output: r.ok ? undefined : output.slice(-4000) })
      }
    }
  }

  t.test('test/run_inner_tests.py', async (t) => {
    const { results, output } = runSections('py', 'inner', join(sources.tini, 'test', 'run_inner_tests.py'), env, scratch)
    check(
      t,
      results,
      [
        'Running exit code test for {0}',
        'Running reaping test ({0} with env {1})',
        'Running process group test (arguments)',
        'Running process group test (environment variable)',
        'Running zombie reaping failure test (Tini should warn)',
        'Running signal configuration test',
        'Running parent death signal test',
      ],
      output,
    )
  })

  t.test('the smoke checks of ci/run_build.sh', async (t) => {
    const { results, output } = runSections('sh', 'build', join(sources.tini, 'ci', 'run_build.sh'), env, sources.tini)
    t.ok(results.length >= 15, `${results.length} checks ran`)
    check(t, results, ['Testing tini supports TINI_VERBOSITY', 'Testing tini does not break pipes'], output)
  })
}
