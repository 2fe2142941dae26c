// Logging on stderr through pino, without ever stalling PID 1.
//
// - pino is loaded on the first line actually logged: at the default
//   verbosity most runs log nothing and pay nothing for it.
// - Lines go out through the addon's writer thread (native/log_writer.c,
//   logStart), started during set-up: nothing here needs a new thread or
//   process once the program runs (a full pids cgroup made libuv's pool
//   abort PID 1), and a stderr pipe that nobody reads
//   blocks that thread, never the event loop. Its queue is bounded: once it is
//   full lines are dropped and counted ("Logging may drop lines under
//   back-pressure; PID 1 may not stall").
// - process.stderr is never touched: on a TTY Node would install a SIGWINCH
//   listener, which replaces the addon's forwarding handler.
import * as fs from 'node:fs'
import type { LogFormat } from '../cli/cli'
import { escapeControl } from '../lib/escape'
import { Errno, type NativeBinding } from '../runtime/native'
import { loadPino } from '../runtime/pino-loader'

type Level = 'fatal' | 'warn' | 'info' | 'debug' | 'trace'
/** Verbosity needed for each level: tini's scale (-v, -vv, -vvv). */
const NEEDS: Record<Level, number> = { fatal: 0, warn: 1, info: 2, debug: 3, trace: 4 }
const TEXT_LABEL: Record<string, string> = { fatal: 'FATAL', warn: 'WARN ', info: 'INFO ', debug: 'DEBUG', trace: 'TRACE' }

export type Fields = Record<string, unknown>

/** One line for an error that escaped main() during set-up: a message, not
 * a stack. */
export function fatalLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return `[FATAL tini-ts (${process.pid})] internal error: ${msg.split('\n')[0]}\n`
}


/** Events whose message has line breaks by design, written as they are:
 * tini's three-line subreaper warning (a constant), and set-up failures such
 * as the addon loader's list of attempts, whose parts from outside (paths,
 * reasons) are escaped where the message is made (src/runtime/native-loader.ts). */
const VERBATIM_EVENTS = new Set(['reaper-check', 'setup'])

/** Where formatted lines go. */
export interface LineSink {
  write(line: string): void
  /** Lets the addon write lines that start with `prefix` itself, while
   * nothing is owed to the log first (sinks without an addon ignore it). */
  delegate?(prefix: string): void
  /** Resolves when everything queued is written, or after timeoutMs. */
  flush(timeoutMs: number): Promise<void>
}

/** Before the writer thread exists (or without the addon): one synchronous
 * write. Used only while no program runs, for set-up failures. */
class SyncStderrWriter implements LineSink {
  write(line: string): void {
    try {
      fs.writeSync(2, line)
    } catch {
      /* stderr closed: nothing to tell anyone */
    }
  }
  flush(): Promise<void> {
    return Promise.resolve()
  }
}

/** Bounded, non-blocking writer for fd 2, over the addon's writer thread. */
export class StderrWriter implements LineSink {
  private dropped = 0
  private delegated: string | undefined

  /** Starts the writer thread; throws (one line) when it cannot be made.
   * format: the note of dropped lines is a line of the log's own format, so
   * a JSON log stays one JSON object a line. */
  constructor(
    private readonly native: NativeBinding,
    fd = 2,
    private readonly format: LogFormat = 'text',
  ) {
    const err = native.logStart(fd)
    if (err !== 0) {
      const why = err === Errno.EAGAIN ? 'no thread can be created (EAGAIN: is the pids cgroup full, or RLIMIT_NPROC reached?)' : `errno ${err}`
      throw new Error(`cannot start the log writer thread: ${why}`)
    }
  }

  write(line: string): void {
    if (this.dropped > 0) {
      const note = this.droppedNote()
      if (!this.native.logWrite(note)) {
        this.dropped++
        return
      }
      this.dropped = 0
      // the note is out: the addon may write its lines again
      if (this.delegated !== undefined) this.native.setReapLines(this.delegated)
    }
    if (!this.native.logWrite(line)) {
      // The note must come before any later line: until it is written, every
      // line goes through here (the addon hands a line it cannot queue to
      // JS as an event, which lands here too).
      if (this.dropped++ === 0 && this.delegated !== undefined) this.native.setReapLines(null)
    }
  }

  private droppedNote(): string {
    const msg = `${this.dropped} log line(s) dropped: stderr was not keeping up`
    if (this.format === 'json') {
      // the fields pino writes for a warn line (Logger.instance)
      return `${JSON.stringify({ level: 'warn', time: Date.now(), initPid: process.pid, event: 'dropped', dropped: this.dropped, msg })}\n`
    }
    return `[WARN  tini-ts (${process.pid})] ${msg}\n`
  }

  delegate(prefix: string): void {
    this.delegated = prefix
    if (this.dropped === 0) this.native.setReapLines(prefix)
  }

  flush(timeoutMs: number): Promise<void> {
    this.native.logFlush(timeoutMs)
    return Promise.resolve()
  }
}

export class Logger {
  private pino: import('pino').Logger | undefined

  constructor(
    readonly verbosity: number,
    readonly format: LogFormat,
    private readonly writer: LineSink = new SyncStderrWriter(),
  ) {}

  enabled(level: Level): boolean {
    return this.verbosity >= NEEDS[level]
  }

  fatal(event: string, msg: string, fields?: Fields): void {
    this.log('fatal', event, msg, fields)
  }
  warn(event: string, msg: string, fields?: Fields): void {
    this.log('warn', event, msg, fields)
  }
  info(event: string, msg: string, fields?: Fields): void {
    this.log('info', event, msg, fields)
  }
  debug(event: string, msg: string, fields?: Fields): void {
    this.log('debug', event, msg, fields)
  }

  log(level: Level, event: string, msg: string, fields?: Fields): void {
    if (!this.enabled(level)) return
    if (this.format === 'text') {
      // A text line carries only the message: formatting it here spares a
      // JSON round trip through pino per line (with -w, one per reaped
      // orphan: the CPU and garbage of an orphan storm).
      this.writer.write(`[${TEXT_LABEL[level]} tini-ts (${process.pid})] ${VERBATIM_EVENTS.has(event) ? msg : escapeControl(msg)}\n`)
      return
    }
    this.instance()[level]({ event, ...fields }, msg)
  }

  flush(timeoutMs = 250): Promise<void> {
    return this.writer.flush(timeoutMs)
  }

  /** Text lines of `level` whose message starts with `msgPrefix` may be
   * written by the addon itself (the same line log() would write; the rest
   * of the message must need no escaping, which the addon checks). */
  delegateLines(level: Level, msgPrefix: string): void {
    if (this.format === 'text' && this.enabled(level)) this.writer.delegate?.(`[${TEXT_LABEL[level]} tini-ts (${process.pid})] ${escapeControl(msgPrefix)}`)
  }

  private instance(): import('pino').Logger {
    if (this.pino) return this.pino
    const pino = loadPino()
    const writer = this.writer
    const pid = process.pid
    const dest = { write: (s: string) => writer.write(s) } // json only: text lines skip pino
    this.pino = pino(
      {
        level: 'trace', // the verbosity check above decides
        base: { initPid: pid }, // no hostname: nothing to look up in PID 1; 'pid' is the event's
        formatters: { level: (label: string) => ({ level: label }) },
      },
      dest,
    )
    return this.pino
  }
}
