// --rewrite FROM:TO (dumb-init's --rewrite): which signal the program gets
// for each one the init receives. TO = 0 drops the signal.
import { forwardedSignals, parseSignal, signalName, type RtRange, DEFAULT_RT } from '../init/signals'

type RewriteTable = ReadonlyMap<number, number>

/** Parses one FROM:TO; throws an Error naming what is wrong. */
export function parseRewrite(spec: string, rt: RtRange = DEFAULT_RT): [number, number] {
  const m = /^([^:]+):([^:]+)$/.exec(spec)
  if (!m) throw new Error(`'${spec}' is not FROM:TO (e.g. 15:3 or TERM:QUIT)`)
  const from = parseSignal(m[1], rt)
  if (from === undefined) throw new Error(`'${m[1]}' is not a signal`)
  if (!forwardedSignals(rt).includes(from)) {
    throw new Error(`${signalName(from, rt)} is not forwarded, so it cannot be rewritten`)
  }
  if (m[2].trim() === '0') return [from, 0]
  const to = parseSignal(m[2], rt)
  if (to === undefined) throw new Error(`'${m[2]}' is not a signal (0 drops)`)
  return [from, to]
}

/** The table the addon's handlers read: index = received, value = sent. */
export function forwardingMap(rewrite: RewriteTable, rt: RtRange = DEFAULT_RT): Int32Array {
  const map = new Int32Array(65)
  for (const s of forwardedSignals(rt)) map[s] = rewrite.has(s) ? (rewrite.get(s) as number) : s
  return map
}
