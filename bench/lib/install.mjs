// The reference inits from Debian's packages (apt-get), when missing.
import { spawnSync } from 'node:child_process'
import { say, which } from './common.mjs'

/** tini, dumb-init and catatonit from Debian's packages, if missing. */
export function ensureInits(install) {
  const pkgs = ['tini', 'dumb-init', 'catatonit']
  const missing = pkgs.filter((p) => !which(p))
  if (missing.length === 0 || !install) return
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  say(`installing ${missing.join(' ')} (apt-get)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const apt = (...args) => {
    const [cmd, ...rest] = [...sudo, 'apt-get', ...args]
    return spawnSync(cmd, rest, { stdio: 'inherit', env })
  }
  const installMissing = () => apt('install', '-y', '-qq', '--no-install-recommends', ...missing)
  if (installMissing().status !== 0) {
    // the package lists may be missing or stale (a fresh CI image)
    apt('update', '-qq')
    installMissing()
  }
  const still = pkgs.filter((p) => !which(p))
  if (still.length) say(`warning: ${still.join(', ')} not available: left out of this run`)
}
