// Command lines of the scripts and the bench: node:util parseArgs, plus the
// --help they share (the usage comment at the top of the script itself).
import * as fs from 'node:fs'
import { parseArgs } from 'node:util'

/**
 * Parses `argv` against `options` (util.parseArgs's option table; -h/--help
 * is added; `positionals` are the words that are not options). On --help prints the comment block that opens `scriptFile`
 * (its usage) and exits 0. Throws one line on a bad command line.
 */
export function parseCommandLine(argv, options, scriptFile, { allowPositionals = false } = {}) {
  // `--opt value` takes the next word whatever it is, as the hand-written
  // parsers did (`--exec-argv "--max-old-space-size=64"`); parseArgs alone
  // would refuse a value that starts with a dash.
  const takesValue = new Set(Object.entries(options).filter(([, o]) => o.type === 'string').map(([k]) => `--${k}`))
  const args = []
  for (let i = 0; i < argv.length; i++) {
    if (takesValue.has(argv[i]) && i + 1 < argv.length) args.push(`${argv[i]}=${argv[++i]}`)
    else args.push(argv[i])
  }
  let values, positionals
  try {
    ;({ values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals }))
  } catch (e) {
    // parseArgs's messages are several sentences with advice for node itself
    throw new Error(`${String(e.message).split('\n')[0].split('. ')[0]} (see --help)`, { cause: e })
  }
  if (values.help) {
    const lines = fs.readFileSync(scriptFile, 'utf8').split('\n').filter((l) => !l.startsWith('#!'))
    const end = lines.findIndex((l) => !l.startsWith('//'))
    process.stdout.write(lines.slice(0, end < 0 ? undefined : end).map((l) => l.slice(3)).join('\n') + '\n')
    process.exit(0)
  }
  return { values, positionals }
}
