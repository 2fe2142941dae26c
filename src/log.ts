// Logging on stderr through pino, without ever stalling PID 1.
//
// - pino is loaded on the first line actually logged: at the default
//   verbosity most runs log nothing and pay nothing for it.
// - Lines go out with asynchronous fs.write (libuv's thread pool), one write
//   in flight, a bounded queue behind it: a stderr pipe that nobody reads
//   blocks a pool thread, never the event loop, and once the queue is full
//   lines are dropped and counted ("Logging may drop lines under
//   back-pressure; PID 1 may not stall").
// - process.stderr is never touched: on a TTY Node would install a SIGWINCH
//   listener, which replaces the addon's forwarding handler.
import * as fs from 'node:fs'
import type { LogFormat } from './cli'

export type Level = 'fatal' | 'warn' | 'info' | 'debug' | 'trace'
/** Verbosity needed for each level: tini's scale (-v, -vv, -vvv). */
const NEEDS: Record<Level, number> = { fatal: 0, warn: 1, info: 2, debug: 3, trace: 4 }
const TEXT_LABEL: Record<string, string> = { fatal: 'FATAL', warn: 'WARN ', info: 'INFO ', debug: 'DEBUG', trace: 'TRACE' }

export type Fields = Record<string, unknown>

/** One text log line is one line: control characters (C0, DEL, C1) in a
 * message, e.g. an orphan's command name set with prctl(PR_SET_NAME) to
 * "x\n[WARN  tini-ts (1)] ...", would otherwise forge lines or drive the
 * terminal. They are written as \n, \t, \r or \xNN, and a backslash as \\
 * so the escapes stay unambiguous. (JSON lines are escaped by JSON.) */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\\\x00-\x1f\x7f-\x9f]/g, (c) => {
    if (c === '\\') return '\\\\'
    if (c === '\n') return '\\n'
    if (c === '\t') return '\\t'
    if (c === '\r') return '\\r'
    return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')
  })
}

/** Events whose message is a constant with line breaks by design (tini's
 * three-line subreaper warning): written as they are. */
const VERBATIM_EVENTS = new Set(['reaper-check'])

/** Bounded, non-blocking writer for fd 2. */
export class StderrWriter {
  private queue: string[] = []
  private queuedBytes = 0
  private inFlight = false
  private broken = false
  private dropped = 0
  private waiters: (() => void)[] = []

  constructor(
    private readonly fd = 2,
    private readonly maxBytes = 256 * 1024,
  ) {}

  write(line: string): void {
    if (this.broken) return
    if (this.queuedBytes + line.length > this.maxBytes) {
      this.dropped++
      return
    }
    this.queue.push(line)
    this.queuedBytes += line.length
    this.pump()
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return
    const chunk = this.queue.join('')
    this.queue = []
    this.inFlight = true
    fs.write(this.fd, chunk, (err) => {
      this.inFlight = false
      this.queuedBytes -= chunk.length
      if (err && (err as NodeJS.ErrnoException).code === 'EAGAIN') {
        // Someone made stderr non-blocking: try again shortly, keep order.
        this.queue.unshift(chunk)
        this.queuedBytes += chunk.length
        this.inFlight = true
        setTimeout(() => {
          this.inFlight = false
          this.pump()
        }, 20).unref()
        return
      }
      if (err) this.broken = true // EPIPE, EBADF: nobody is listening
      if (this.dropped > 0 && !this.broken) {
        const note = `[WARN  tini-ts (${process.pid})] ${this.dropped} log line(s) dropped: stderr was not keeping up\n`
        this.dropped = 0
        this.queue.unshift(note)
        this.queuedBytes += note.length
      }
      if (this.queue.length === 0 || this.broken) this.wake()
      this.pump()
    })
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Resolves when everything queued is written, or after timeoutMs. */
  flush(timeoutMs: number): Promise<void> {
    if (this.broken || (!this.inFlight && this.queue.length === 0)) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs)
      this.waiters.push(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }
}

export class Logger {
  private pino: import('pino').Logger | undefined

  constructor(
    readonly verbosity: number,
    readonly format: LogFormat,
    private readonly writer: StderrWriter = new StderrWriter(),
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
  trace(event: string, msg: string, fields?: Fields): void {
    this.log('trace', event, msg, fields)
  }

  log(level: Level, event: string, msg: string, fields?: Fields): void {
    if (!this.enabled(level)) return
    if (this.format === 'text') {
      // A text line carries only the message: formatting it here spares a
      // JSON round trip through pino per line (with -w, one per reaped
      // orphan: the CPU and garbage of an orphan storm, issue 10).
      this.writer.write(`[${TEXT_LABEL[level]} tini-ts (${process.pid})] ${VERBATIM_EVENTS.has(event) ? msg : escapeControl(msg)}\n`)
      return
    }
    this.instance()[level]({ event, ...fields }, msg)
  }

  flush(timeoutMs = 250): Promise<void> {
    return this.writer.flush(timeoutMs)
  }

  private instance(): import('pino').Logger {
    if (this.pino) return this.pino
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pino = require('pino') as typeof import('pino')
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
