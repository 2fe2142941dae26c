// tini-ts as PID 1 of redis-server in a real runc container: the orphaned
// children of exec probes are reaped (compare redis-control.test.ts, where
// they pile up as zombies), and `runc kill TERM` stops redis gracefully
// through tini-ts, whose exit status (the container's) is redis's: 0.
// The scenario itself is redisReapScenario in test/helpers/redis.ts;
// reference-inits.test.ts runs the same one under tini, dumb-init, catatonit.
import t from 'tap'
import { redisReapScenario } from '../helpers/redis'
import { distMissing } from '../helpers/runc'

const missing = distMissing()
if (missing) {
  t.fail(missing)
} else {
  t.test('tini-ts reaps the orphans of exec probes and stops redis on TERM', (t) =>
    redisReapScenario(t, {
      name: 'redis-tini',
      argv: ['/usr/local/bin/tini-ts', '--'],
      opts: { tini: true },
    }),
  )
}
