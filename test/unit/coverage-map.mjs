// tap --coverage-map for `npm run test:unit`: each unit test counts toward
// the src/ modules it mirrors, and only those, so a module is covered by its
// own tests, not by another test that happens to load it.
const MIRRORS = {
  'cli/cli.test.ts': ['src/cli/cli.ts'],
  'cli/rewrite.test.ts': ['src/cli/rewrite.ts'],
  'init/exit-code.test.ts': ['src/init/exit-code.ts'],
  'init/inherited-fds.test.ts': ['src/init/inherited-fds.ts'],
  'init/job-control.test.ts': ['src/init/job-control.ts'],
  'init/log.test.ts': ['src/init/log.ts', 'src/lib/escape.ts'],
  'init/long-timer.test.ts': ['src/init/long-timer.ts'],
  'init/process-tree.test.ts': ['src/init/process-tree.ts'],
  'init/signals.test.ts': ['src/init/signals.ts'],
  'init/supervisor.test.ts': ['src/init/supervisor.ts', 'src/init/events.ts', 'src/init/setup.ts', 'src/init/pause.ts'],
  'init/terminate.test.ts': ['src/init/terminate.ts', 'src/init/tree-handles.ts'],
  'init/tree-handles.test.ts': ['src/init/tree-handles.ts'],
  'inspect/init-identity.test.ts': ['src/inspect/init-identity.ts'],
  'inspect/zombies.test.ts': ['src/inspect/zombies.ts', 'src/inspect/zombie-format.ts', 'src/inspect/zombie-types.ts'],
  'lib/auxv.test.ts': ['src/lib/auxv.ts'],
  'lib/duration.test.ts': ['src/lib/duration.ts'],
  'lib/proc.test.ts': ['src/lib/proc.ts'],
  'runtime/extraction-dir.test.ts': ['src/runtime/extraction-dir.ts'],
  'runtime/ipc-channel.test.ts': ['src/runtime/ipc-channel.ts'],
  'runtime/native-loader.test.ts': ['src/runtime/native-loader.ts'],
}

/** tap passes the test file's path as given on its command line
 * (test/unit/init/log.test.ts): the key is that path below test/unit/, so
 * two tests of the same name in different folders stay apart. */
export default function map(testFile) {
  return MIRRORS[testFile.replace(/^(.*\/)?test\/unit\//, '')] ?? null
}
