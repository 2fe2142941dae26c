// -P/--pause: no program; the init stays up as a reaper (the handlers reap by
// themselves) until SIGTERM or SIGINT, then exits 0 (catatonit -P).
import type { Events } from './events'
import type { Logger } from './log'
import { signalName, SIGINT, SIGTERM, type RtRange } from './signals'

/** Resolves to the exit code (0) once SIGTERM or SIGINT has arrived. */
export async function runPause(events: Events, log: Logger, rt: RtRange): Promise<number> {
  log.info('spawned', 'Pause mode: no program; reaping until SIGTERM or SIGINT', { pid: 0 })
  const stop = events.nextSignal((ev) => ev.signal === SIGTERM || ev.signal === SIGINT)
  events.drain() // what arrived during set-up
  const ev = await stop
  const name = signalName(ev.signal, rt)
  log.info('exited', `Received ${name} in pause mode: exiting`, { signal: name })
  return 0
}
