// Command line and TINI_* environment -> Config. tini's flags and variables,
// plus tini-ts's long options. Parsing only: nothing here starts anything.
import { parseDuration } from '../lib/duration'
import { parseRewrite } from './rewrite'
import { EXIT_USAGE } from '../init/exit-code'
import { parseSignal } from '../init/signals'
import { LICENSE_TEXT, VERSION } from './about'

export type Mode = 'run' | 'pause' | 'zombies' | 'demo'
export type LogFormat = 'text' | 'json'

export interface Config {
  mode: Mode
  /** PROGRAM and ARGS, exactly as given */
  program: string[]
  subreaper: boolean
  /** 0 fatal only, 1 warnings (default, as tini), 2 info, 3 debug, 4 trace */
  verbosity: number
  warnOnReap: boolean
  killProcessGroup: boolean
  remapToZero: Set<number>
  parentDeathSignal?: number
  timeoutMs?: number
  graceMs: number
  /** --cleanup: clean up after the program whatever else is set */
  cleanup: boolean
  /** --no-cleanup / TINI_TS_NO_CLEANUP: tini's behaviour, never clean up */
  noCleanup: boolean
  rewrite: Map<number, number>
  logFormat: LogFormat
  json: boolean
}

/** What main should do: run with a config, or print something and exit. */
type ParseOutcome =
  | { kind: 'run'; config: Config }
  | { kind: 'print'; stdout?: string; stderr?: string; exitCode: number }

/** Default --grace: short, because a probe wrapper must finish before the
 * kubelet's timeoutSeconds (default 1 s); see README "Probes". */
export const DEFAULT_GRACE_MS = 500

/** A bad option value; the message says what a good one looks like. */
class InvalidValue extends Error {}
const invalid = (msg: string) => new InvalidValue(msg)

function exitCodeOption(value: string, prev: number[] = []): number[] {
  if (!/^\d+$/.test(value) || Number(value) > 255) throw invalid('EXIT_CODE must be a whole number from 0 to 255.')
  return [...prev, Number(value)]
}

function signalOption(value: string): number {
  const n = parseSignal(value)
  if (n === undefined) throw invalid(`'${value}' is not a signal name (e.g. SIGTERM, SIGKILL).`)
  return n
}

function durationOption(value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) throw invalid(`'${value}' is not a duration (e.g. 500ms, 1.5s, 2m, or seconds).`)
  return ms
}

function rewriteOption(value: string, prev: [number, number][] = []): [number, number][] {
  try {
    return [...prev, parseRewrite(value)]
  } catch (e) {
    throw invalid(`${(e as Error).message}.`)
  }
}

function logFormatOption(value: string): string {
  if (value !== 'text' && value !== 'json') throw invalid('Allowed choices are text, json.')
  return value
}

/**
 * The options, once: the parser below reads this table, and so does the help
 * text (helpText). `key` names the parsed value;
 * `parse` folds a value into the previous one; no `value` = a flag.
 */
interface OptionSpec {
  short?: string
  long?: string
  key: string
  value?: string
  help: string
  parse?(value: string, prev: unknown): unknown
  count?: boolean
}

const OPTIONS: OptionSpec[] = [
  { short: 's', key: 's', help: 'register as a process subreaper (env TINI_SUBREAPER)' },
  { short: 'p', key: 'p', value: 'SIGNAL', help: 'trigger SIGNAL when parent dies, e.g. "-p SIGKILL"', parse: signalOption },
  { short: 'v', key: 'v', count: true, help: 'more verbose output; repeat up to 3 times (env TINI_VERBOSITY)' },
  { short: 'w', key: 'w', help: 'print a warning when processes are getting reaped' },
  { short: 'g', key: 'g', help: "send signals to the child's process group (env TINI_KILL_PROCESS_GROUP)" },
  { short: 'e', key: 'e', value: 'EXIT_CODE', help: 'remap EXIT_CODE (0 to 255) to 0; can be repeated', parse: exitCodeOption },
  { short: 'l', key: 'l', help: 'show license and exit' },
  { long: 'timeout', key: 'timeout', value: 'DURATION', help: 'terminate the whole tree if PROGRAM still runs after DURATION (0: never); exit 124; makes tini-ts a subreaper, as -s', parse: durationOption },
  { long: 'grace', key: 'grace', value: 'DURATION', help: `time between SIGTERM and SIGKILL for --timeout/--cleanup (default ${DEFAULT_GRACE_MS}ms)`, parse: durationOption },
  { long: 'cleanup', key: 'cleanup', help: 'when PROGRAM exits, terminate and reap every remaining descendant (default with -s when not PID 1); makes tini-ts a subreaper, as -s' },
  { long: 'no-cleanup', key: 'noCleanup', help: "leave PROGRAM's remaining descendants running when it exits, as tini does (env TINI_TS_NO_CLEANUP)" },
  { long: 'rewrite', key: 'rewrite', value: 'FROM:TO', help: 'forward signal FROM as TO (0 drops it); can be repeated', parse: rewriteOption },
  { short: 'P', long: 'pause', key: 'pause', help: 'no program: stay up as a reaper until SIGTERM or SIGINT' },
  { long: 'log-format', key: 'logFormat', value: 'FORMAT', help: 'log lines on stderr: text or json (env TINI_TS_LOG_FORMAT)', parse: logFormatOption },
  { long: 'zombies', key: 'zombies', help: 'list the zombies in this PID namespace and whether PID 1 reaps; exit 1 if any' },
  { long: 'json', key: 'json', help: 'with --zombies: one JSON document' },
  { long: 'demo', key: 'demo', help: 'show zombies piling up without an init, and none with tini-ts (built-in workload)' },
]

/** The table itself, read-only: scripts/build-frontend.mjs turns it into the
 * native front end's option table, so both parsers know the same options. */
export const OPTION_TABLE: readonly Readonly<OptionSpec>[] = OPTIONS

const flagsOf = (o: OptionSpec) => [o.short && `-${o.short}`, o.long && `--${o.long}`].filter(Boolean).join(', ')
const nameOf = (o: OptionSpec) => `${flagsOf(o)}${o.value ? ` <${o.value}>` : ''}`

/** Greedy word wrap of `text` to `width` columns, later lines indented by `indent`. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  lines.push(line)
  return lines.join(`\n${indent}`)
}

/** The help text, rendered from the option table (the layout commander's
 * help had: terms in a column, descriptions wrapped at 100 columns). */
function helpText(): string {
  const WIDTH = 100
  const items: [string, string][] = [
    ['--version', 'show version and exit'],
    ...OPTIONS.map((o): [string, string] => [nameOf(o), o.help]),
    ['-h, --help', 'show this help message and exit'],
  ]
  const args: [string, string][] = [['PROGRAM', 'the program to run, and its arguments']]
  const termWidth = Math.max(...[...items, ...args].map(([term]) => term.length))
  const indent = ' '.repeat(2 + termWidth + 2)
  const item = ([term, help]: [string, string]) => `  ${term.padEnd(termWidth)}  ${wrap(help, WIDTH - indent.length, indent)}`
  return [
    'Usage: tini-ts [OPTIONS] [--] PROGRAM [ARGS...] | --version',
    '',
    'Execute PROGRAM under the supervision of a valid init process (tini-ts): forward signals to it,',
    'reap zombies, exit with its status.',
    'Options stop at the first word that is not an option.',
    '',
    'Arguments:',
    ...args.map(item),
    '',
    'Options:',
    ...items.map(item),
    '',
  ].join('\n')
}

type Parsed = Record<string, unknown> & { args: string[] }

/**
 * getopt over OPTIONS: short flags cluster (`-vvv`, `-sg`, `-e3`), long ones
 * take `--opt value` or `--opt=value`, `--` ends the options, and so does the
 * first word that is not an option (tini's getopt would go on and take the
 * program's own `-c`). `-h` and `--version` answer at once, as commander does.
 */
function getopt(args: string[]): { kind: 'parsed'; opts: Parsed } | ParseOutcome {
  const out: Parsed = { args: [] }
  const byShort = new Map(OPTIONS.filter((o) => o.short).map((o) => [o.short as string, o]))
  const byLong = new Map(OPTIONS.filter((o) => o.long).map((o) => [o.long as string, o]))
  const take = (o: OptionSpec, value: string | undefined): string | undefined => {
    if (o.count) out[o.key] = ((out[o.key] as number | undefined) ?? 0) + 1
    else if (!o.value) out[o.key] = true
    else if (value === undefined) return `option '${nameOf(o)}' argument missing`
    else {
      try {
        out[o.key] = o.parse ? o.parse(value, out[o.key]) : value
      } catch (e) {
        if (!(e instanceof InvalidValue)) throw e
        return `option '${nameOf(o)}' argument '${value}' is invalid. ${e.message}`
      }
    }
    return undefined
  }
  let i = 0
  for (; i < args.length; i++) {
    const a = args[i]
    if (a === '--') {
      i++
      break
    }
    if (a === '-h' || a === '--help') return { kind: 'print', stdout: helpText(), exitCode: 0 }
    if (a === '--version') return { kind: 'print', stdout: `tini-ts version ${VERSION}\n`, exitCode: 0 }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = a.slice(2, eq < 0 ? undefined : eq)
      const o = byLong.get(name)
      if (!o) return usage(`unknown option '${a.slice(0, eq < 0 ? undefined : eq)}'`)
      if (!o.value && eq >= 0) return usage(`option '${nameOf(o)}' does not take an argument`)
      const err = take(o, eq >= 0 ? a.slice(eq + 1) : o.value ? args[++i] : undefined)
      if (err) return usage(err)
    } else if (a.length > 1 && a.startsWith('-')) {
      for (let j = 1; j < a.length; j++) {
        const o = byShort.get(a[j])
        if (!o) return usage(`unknown option '-${a[j]}'`)
        if (a[j] === 'h') return { kind: 'print', stdout: helpText(), exitCode: 0 }
        if (o.value) {
          const err = take(o, j + 1 < a.length ? a.slice(j + 1) : args[++i])
          if (err) return usage(err)
          break
        }
        const err = take(o, undefined)
        if (err) return usage(err)
      }
    } else {
      break
    }
  }
  out.args = args.slice(i)
  return { kind: 'parsed', opts: out }
}

function usage(msg: string): ParseOutcome {
  return { kind: 'print', stderr: `error: ${msg}\n\n${helpText()}`, exitCode: EXIT_USAGE }
}

/** Parses argv (without node and script) and env. Never exits the process. */
export function parseCli(args: string[], env: NodeJS.ProcessEnv): ParseOutcome {
  const got = getopt(args)
  if (got.kind !== 'parsed') return got
  const o = got.opts
  if (o.l) return { kind: 'print', stdout: LICENSE_TEXT, exitCode: 0 }

  const program = o.args
  const mode: Mode = o.zombies ? 'zombies' : o.demo ? 'demo' : o.pause ? 'pause' : 'run'
  if (mode === 'pause' && program.length > 0) return usage('-P/--pause takes no program')
  if ((mode === 'zombies' || mode === 'demo') && program.length > 0) {
    return usage(`--${mode} takes no program`)
  }
  if (mode === 'run' && program.length === 0) return usage('no program given')
  if (o.json && mode !== 'zombies') return usage('--json goes with --zombies')
  if (mode === 'pause' && (o.timeout !== undefined || o.cleanup || o.noCleanup)) {
    return usage('-P/--pause has no program to time out or clean up after')
  }
  if (o.cleanup && o.noCleanup) return usage('--cleanup and --no-cleanup contradict each other')

  let verbosity = 1 + ((o.v as number | undefined) ?? 0)
  // tini reads TINI_VERBOSITY after the flags, so it wins (atoi semantics).
  if (env.TINI_VERBOSITY !== undefined) verbosity = Number.parseInt(env.TINI_VERBOSITY, 10) || 0
  const logFormat = (o.logFormat ?? env.TINI_TS_LOG_FORMAT ?? 'text') as string
  if (logFormat !== 'text' && logFormat !== 'json') {
    return usage(`TINI_TS_LOG_FORMAT must be text or json, not '${logFormat}'`)
  }
  return {
    kind: 'run',
    config: {
      mode,
      program,
      // tini: the variable being set is enough, whatever its value.
      subreaper: Boolean(o.s) || env.TINI_SUBREAPER !== undefined,
      verbosity,
      warnOnReap: Boolean(o.w),
      killProcessGroup: Boolean(o.g) || env.TINI_KILL_PROCESS_GROUP !== undefined,
      remapToZero: new Set((o.e as number[] | undefined) ?? []),
      parentDeathSignal: o.p as number | undefined,
      // `--timeout 0` means no timeout, as in coreutils timeout(1): "A duration
      // of 0 disables the associated timeout."
      timeoutMs: o.timeout === 0 ? undefined : (o.timeout as number | undefined),
      graceMs: (o.grace as number | undefined) ?? DEFAULT_GRACE_MS,
      cleanup: Boolean(o.cleanup),
      // As TINI_SUBREAPER: the variable being set is enough. --cleanup wins
      // over the variable (a flag on the command line is the more specific).
      noCleanup: Boolean(o.noCleanup) || (!o.cleanup && env.TINI_TS_NO_CLEANUP !== undefined),
      rewrite: new Map((o.rewrite as [number, number][] | undefined) ?? []),
      logFormat,
      json: Boolean(o.json),
    },
  }
}

/**
 * Whether the init terminates and reaps what the program leaves behind when
 * it exits. A subreaper that is not PID 1 is a probe wrapper
 * (`tini-ts -s -- redis-cli ping`): whatever it leaves running is re-parented
 * to the container's PID 1 when it exits, and that PID 1 (redis, a JVM) never
 * reaps, so each probe would add a zombie. So there it cleans up by default;
 * tini does not (its job ends with its child), --no-cleanup keeps that. As
 * PID 1 the kernel ends the namespace with it, and without -s the orphans
 * were never ours: both keep tini's behaviour unless --cleanup asks.
 */
export function cleansUpOnExit(cfg: Pick<Config, 'cleanup' | 'noCleanup' | 'subreaper'>, isPid1: boolean): boolean {
  if (cfg.cleanup) return true
  if (cfg.noCleanup) return false
  return cfg.subreaper && !isPid1
}

/** Whether this run may terminate a tree (--timeout, --cleanup): then the
 * init is a subreaper even without -s (src/init/setup.ts), so that descendants
 * that double-fork and call setsid are re-parented to it and found. */
export function terminatesTree(cfg: Pick<Config, 'cleanup' | 'timeoutMs'>): boolean {
  return cfg.cleanup || cfg.timeoutMs !== undefined
}
