// Runs a command to its end with a deadline: for the fault tier, where the
// failure being tested for is often a hang or a signal death.
import { spawn } from 'node:child_process'

export interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export function run(argv: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    let timedOut = false
    const t = setTimeout(() => {
      timedOut = true
      p.kill('SIGKILL')
    }, timeoutMs)
    // 'exit', not only 'close': a crashed init leaves processes that still
    // hold the pipes open; give them a moment, then report what was read.
    p.on('exit', (code, signal) => {
      clearTimeout(t)
      const done = () => resolve({ code, signal, stdout, stderr, timedOut })
      const grace = setTimeout(done, 1000)
      p.on('close', () => {
        clearTimeout(grace)
        done()
      })
    })
  })
}

/** What must never be on tini-ts's stderr: a JS stack, V8's crash text, an abort. */
export const CRASH_TEXT = /^\s+at |Native stack trace|Fatal process|Aborted|Segmentation|FATAL ERROR|node::/m
