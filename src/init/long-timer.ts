// A one-shot timer for any delay. Node's setTimeout takes at most 2^31-1 ms
// (~24.8 days): a longer delay "is set to 1" with a TimeoutOverflowWarning
// (Node docs, setTimeout), so `--timeout 30d` fired at once. Long
// delays are chained in steps of at most that much.

const MAX_STEP_MS = 2 ** 31 - 1

interface LongTimer {
  clear(): void
}

export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  let handle: NodeJS.Timeout | undefined
  const deadline = Date.now() + ms
  const arm = (left: number): void => {
    handle = setTimeout(() => {
      const rest = deadline - Date.now()
      if (rest > 0) arm(rest)
      else fn()
    }, Math.min(Math.max(left, 0), MAX_STEP_MS))
  }
  arm(ms)
  return { clear: () => clearTimeout(handle) }
}
