// tap --coverage-map for `npm run test:unit`: each unit test counts toward
// the src/ modules it mirrors, and only those, so a module is covered by its
// own tests, not by another test that happens to load it.
const MIRRORS = {
  'cli.test.ts': ['src/cli.ts'],
  'duration-rewrite.test.ts': ['src/duration.ts', 'src/rewrite.ts'],
  'exit-code.test.ts': ['src/exit-code.ts'],
  'inherited-fds.test.ts': ['src/inherited-fds.ts'],
  'log.test.ts': ['src/log.ts', 'src/escape.ts'],
  'native-loader.test.ts': ['src/native-loader.ts'],
  'proc.test.ts': ['src/proc.ts'],
  'process-tree.test.ts': ['src/process-tree.ts'],
  'signals.test.ts': ['src/signals.ts'],
  'supervisor.test.ts': ['src/supervisor.ts', 'src/events.ts', 'src/setup.ts', 'src/pause.ts'],
  'terminate.test.ts': ['src/terminate.ts', 'src/tree-handles.ts'],
  'tree-handles.test.ts': ['src/tree-handles.ts'],
}

export default function map(testFile) {
  const name = testFile.split('/').pop()
  return MIRRORS[name] ?? null
}
