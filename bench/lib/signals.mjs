// Signal latency: bench/fixtures/siglat -> the init -> bench/fixtures/sigrecv.
import { nums, run } from './common.mjs'

/** Signal latency: sender's clock before kill(init) to the program's handler. */
export function measureSignal(fx, c, n, gapUs) {
  const r = run(fx.siglat, [String(n), String(gapUs), ...c.wrap([fx.sigrecv])], { timeout: 120000 })
  const lat = nums(r.stdout).map((ns) => ns / 1000)
  const lost = Number(/lost (\d+)/.exec(r.stderr)?.[1] ?? 0)
  if (r.status !== 0 || lat.length === 0) throw new Error(`siglat: ${r.stderr.trim() || `exit ${r.status}`}`)
  return { lat, lost }
}
