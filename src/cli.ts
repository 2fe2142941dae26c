// Command line and TINI_* environment -> Config. tini's flags and variables,
// plus tini-ts's long options. Parsing only: nothing here starts anything.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { parseDuration } from './duration'
import { parseRewrite } from './rewrite'
import { parseSignal } from './signals'
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
  cleanup: boolean
  rewrite: Map<number, number>
  logFormat: LogFormat
  json: boolean
}

/** What main should do: run with a config, or print something and exit. */
export type ParseOutcome =
  | { kind: 'run'; config: Config }
  | { kind: 'print'; stdout?: string; stderr?: string; exitCode: number }

/** Default --grace: short, because a probe wrapper must finish before the
 * kubelet's timeoutSeconds (default 1 s); see README "Probes". */
export const DEFAULT_GRACE_MS = 500

const invalid = (msg: string) => new InvalidArgumentError(msg)

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

function buildCommand(): Command {
  return new Command('tini-ts')
    .usage('[OPTIONS] [--] PROGRAM [ARGS...] | --version')
    .description(
      'Run PROGRAM under a minimal init: forward signals to it, reap zombies, exit with its status.\n' +
        'Options stop at the first word that is not an option.',
    )
    .argument('[PROGRAM...]', 'the program to run, and its arguments')
    .helpOption('-h, --help', 'show this help message and exit')
    .version(`tini-ts version ${VERSION}`, '--version', 'show version and exit')
    .option('-s', 'register as a process subreaper (env TINI_SUBREAPER)')
    .option('-p <SIGNAL>', 'trigger SIGNAL when parent dies, e.g. "-p SIGKILL"', signalOption)
    .option('-v', 'more verbose output; repeat up to 3 times (env TINI_VERBOSITY)', (_v: string, n: number) => n + 1, 0)
    .option('-w', 'print a warning when processes are getting reaped')
    .option('-g', "send signals to the child's process group (env TINI_KILL_PROCESS_GROUP)")
    .option('-e <EXIT_CODE>', 'remap EXIT_CODE (0 to 255) to 0; can be repeated', exitCodeOption)
    .option('-l', 'show license and exit')
    .option('--timeout <DURATION>', 'terminate the whole tree if PROGRAM still runs after DURATION; exit 124', durationOption)
    .option('--grace <DURATION>', `time between SIGTERM and SIGKILL for --timeout/--cleanup (default ${DEFAULT_GRACE_MS}ms)`, durationOption)
    .option('--cleanup', 'when PROGRAM exits, terminate and reap every remaining descendant')
    .option('--rewrite <FROM:TO>', 'forward signal FROM as TO (0 drops it); can be repeated', rewriteOption)
    .option('-P, --pause', 'no program: stay up as a reaper until SIGTERM or SIGINT')
    .addOption(new Option('--log-format <FORMAT>', 'log lines on stderr (env TINI_TS_LOG_FORMAT)').choices(['text', 'json']))
    .option('--zombies', 'list the zombies in this PID namespace and whether PID 1 reaps; exit 1 if any')
    .option('--json', 'with --zombies: one JSON document')
    .option('--demo', 'show zombies piling up without an init, and none with tini-ts (built-in workload)')
    .passThroughOptions()
    .exitOverride()
    .showHelpAfterError()
}

/** Parses argv (without node and script) and env. Never exits the process. */
export function parseCli(args: string[], env: NodeJS.ProcessEnv): ParseOutcome {
  let out = ''
  let err = ''
  const cmd = buildCommand().configureOutput({
    writeOut: (s) => (out += s),
    writeErr: (s) => (err += s),
    getOutHelpWidth: () => 100,
    getErrHelpWidth: () => 100,
  })
  try {
    cmd.parse(args, { from: 'user' })
  } catch (e) {
    if (e instanceof CommanderError) return { kind: 'print', stdout: out || undefined, stderr: err || undefined, exitCode: e.exitCode === 0 ? 0 : 1 }
    throw e
  }
  const o = cmd.opts()
  const usageError = (msg: string): ParseOutcome => ({
    kind: 'print',
    stderr: `error: ${msg}\n${cmd.helpInformation()}`,
    exitCode: 1,
  })
  if (o.l) return { kind: 'print', stdout: LICENSE_TEXT, exitCode: 0 }

  const program = cmd.args
  const mode: Mode = o.zombies ? 'zombies' : o.demo ? 'demo' : o.pause ? 'pause' : 'run'
  if (mode === 'pause' && program.length > 0) return usageError('-P/--pause takes no program')
  if ((mode === 'zombies' || mode === 'demo') && program.length > 0) {
    return usageError(`--${mode} takes no program`)
  }
  if (mode === 'run' && program.length === 0) return usageError('no program given')
  if (o.json && mode !== 'zombies') return usageError('--json goes with --zombies')
  if (mode === 'pause' && (o.timeout !== undefined || o.cleanup)) {
    return usageError('-P/--pause has no program to time out or clean up after')
  }

  let verbosity = 1 + (o.v as number)
  // tini reads TINI_VERBOSITY after the flags, so it wins (atoi semantics).
  if (env.TINI_VERBOSITY !== undefined) verbosity = Number.parseInt(env.TINI_VERBOSITY, 10) || 0
  const logFormat = (o.logFormat ?? env.TINI_TS_LOG_FORMAT ?? 'text') as string
  if (logFormat !== 'text' && logFormat !== 'json') {
    return usageError(`TINI_TS_LOG_FORMAT must be text or json, not '${logFormat}'`)
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
      timeoutMs: o.timeout as number | undefined,
      graceMs: (o.grace as number | undefined) ?? DEFAULT_GRACE_MS,
      cleanup: Boolean(o.cleanup),
      rewrite: new Map((o.rewrite as [number, number][] | undefined) ?? []),
      logFormat,
      json: Boolean(o.json),
    },
  }
}
