// Entry point of the executable and of bin/tini-ts: take the signals first
// (src/runtime/early-signals.ts), then require the rest. `require`, not `import`:
// imports are evaluated before this module's body, and main's (pino's
// loader, the supervisor) would then run inside the window.
import * as fs from 'node:fs'
import { EXIT_FAILURE } from './init/exit-code'
import { fatalLine } from './init/log'
import { takeSignals } from './runtime/early-signals'

const early = takeSignals()

// eslint-disable-next-line @typescript-eslint/no-require-imports
;(require('./main') as typeof import('./main')).main(process.argv.slice(2), early).then(
  (code) => process.exit(code),
  (e: unknown) => {
    try {
      fs.writeSync(2, fatalLine(e))
    } catch {
      /* stderr closed */
    }
    process.exit(EXIT_FAILURE)
  },
)
