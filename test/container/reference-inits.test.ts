// The reaping scenario of redis-tini.test.ts, under the inits tini-ts is
// measured against (Debian's tini, dumb-init, catatonit), bind-mounted from
// the host. If one of these fails, the harness is at fault, not tini-ts.
// Needs no dist/: it checks the tier itself.
import t from 'tap'
import { existsSync } from 'node:fs'
import { redisReapScenario } from '../helpers/redis'

const REFS: { name: string; host: string; argv: (p: string) => string[] }[] = [
  { name: 'tini', host: '/usr/bin/tini-static', argv: (p) => [p, '--'] },
  { name: 'dumb-init', host: '/usr/bin/dumb-init', argv: (p) => [p, '--'] },
  { name: 'catatonit', host: '/usr/bin/catatonit', argv: (p) => [p, '--'] },
]

for (const ref of REFS) {
  t.test(`${ref.name} reaps the orphans of exec probes and stops redis on TERM`, async (t) => {
    if (!existsSync(ref.host)) {
      t.fail(`${ref.host} is missing: run scripts/ci-install-system.sh`)
      return
    }
    const inside = `/usr/local/bin/${ref.name}`
    await redisReapScenario(t, {
      name: `ref-${ref.name}`,
      argv: ref.argv(inside),
      opts: { mounts: [{ destination: inside, type: 'bind', source: ref.host, options: ['bind', 'ro'] }] },
    })
  })
}
