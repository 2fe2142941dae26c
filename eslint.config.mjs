// `npm run lint`. Flat config: @eslint/js and
// typescript-eslint's recommended sets everywhere, type-aware rules on src/
// (the code that ships; tsconfig.json covers exactly it, so it stays fast).
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// Unused code of any kind is an error; a leading _ marks a parameter or
// binding that must exist for its position (a callback's signature).
const unused = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }]

// PID 1 spawns its program through the addon's CLONE_VFORK spawn (native/),
// never through node:child_process: loading it pulls net, stream, dgram... into
// every start (bench/RESULTS.md), and its spawn is not what the init promises.
const noChildProcess = {
  paths: [
    { name: 'child_process', message: 'src/ spawns through the addon (native.ts), not node:child_process.' },
    { name: 'node:child_process', message: 'src/ spawns through the addon (native.ts), not node:child_process.' },
  ],
}

// ... nor by require() or import() (no-restricted-imports sees import
// declarations only)
const noChildProcessCall = [
  {
    selector: "CallExpression[callee.name='require'][arguments.0.value=/^(node:)?child_process$/]",
    message: 'src/ spawns through the addon (native.ts), not node:child_process.',
  },
  {
    selector: 'ImportExpression[source.value=/^(node:)?child_process$/]',
    message: 'src/ spawns through the addon (native.ts), not node:child_process.',
  },
]

export default tseslint.config(
  {
    ignores: ['lib/**', 'dist/**', 'build/**', 'prebuilds/**', 'node_modules/**', 'bench/.work/**', '.tap/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': unused,
      '@typescript-eslint/no-explicit-any': 'warn',
      // empty catch blocks are deliberate here: "the thread just ended", "no
      // such file"; each says so in a comment or by its place
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': unused,
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-restricted-imports': ['error', noChildProcess],
      'no-restricted-syntax': ['error', ...noChildProcessCall],
    },
  },
  {
    // --demo runs unshare(1) and nsenter(1) as tools, to show a PID namespace
    // without an init next to one with tini-ts (README "Demo"): a user-asked
    // mode that never runs as PID 1's supervision path, so child_process is
    // allowed here and only here.
    files: ['src/demo/demo.ts'],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // tests, scripts and the bench drive processes from the outside: they
    // may spawn what they like.
    files: ['test/**/*.ts', 'test/**/*.js', 'test/**/*.cjs', 'scripts/**/*.mjs', 'bench/**/*.mjs', '*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
)
