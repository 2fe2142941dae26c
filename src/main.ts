// Composition root: parse, then hand over to the mode asked for.
import * as fs from 'node:fs'
import { parseCli } from './cli/cli'
import { type Early, takeSignals } from './runtime/early-signals'
import { neutralizeIpcChannel } from './runtime/ipc-channel'
import { EXIT_FAILURE } from './init/exit-code'
import { Logger, StderrWriter } from './init/log'
import { Supervisor } from './init/supervisor'

function write(fd: number, text: string | undefined): void {
  if (text) fs.writeSync(fd, text)
}

/** Node's process.stdout/stderr streams must never come into being in the
 * init: for a pipe libuv makes the shared file description O_NONBLOCK (the
 * program's writes then come up short or fail with EAGAIN), for a TTY Node
 * listens to SIGWINCH, replacing the addon's forwarding handler. Code that
 * merely looks at them (node:assert, loaded by pino's sonic-boom; net.Socket's
 * destroy) gets plain fs streams instead. */
function plainStdio(): void {
  for (const [name, fd] of [['stdout', 1], ['stderr', 2]] as const) {
    let stream: fs.WriteStream | undefined
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: true,
      get: () => (stream ??= fs.createWriteStream('', { fd, autoClose: false })),
    })
  }
}

export async function main(argv: string[] = process.argv.slice(2), early: Early = takeSignals()): Promise<number> {
  neutralizeIpcChannel() // before the event loop first polls: see src/runtime/ipc-channel.ts
  const parsed = parseCli(argv, process.env)
  // No program to run: the signals go back to their defaults (and libuv
  // reaps its own children again); those held since start-up act now.
  if (parsed.kind === 'print' || parsed.config.mode === 'zombies' || parsed.config.mode === 'demo') early.signals?.native.releaseSignals()
  if (parsed.kind === 'print') {
    write(1, parsed.stdout)
    write(2, parsed.stderr)
    return parsed.exitCode
  }
  const cfg = parsed.config
  if (cfg.mode === 'zombies') return (await import('./inspect/zombies')).runZombies({ json: cfg.json })
  if (cfg.mode === 'demo') return (await import('./demo/demo')).runDemo()
  plainStdio()
  let log = new Logger(cfg.verbosity, cfg.logFormat) // synchronous, until the writer thread runs
  const signals = early.signals
  if (!signals) {
    log.fatal('setup', (early.error as Error).message)
    return EXIT_FAILURE
  }
  try {
    log = new Logger(cfg.verbosity, cfg.logFormat, new StderrWriter(signals.native, 2, cfg.logFormat))
  } catch (e) {
    log.fatal('setup', (e as Error).message)
    return EXIT_FAILURE
  }
  const code = await new Supervisor(cfg, signals, log).run()
  await log.flush()
  // _exit(2) right away: everything of ours is written (or given up on after
  // the bounded flush), and process.exit() would join the thread pool, which
  // hangs on a blocked stderr write, and tear Node down for nothing.
  return signals.native.exitNow(code)
}
