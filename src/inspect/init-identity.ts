// Which init (or runtime) a process is, from its command name, argv and, for
// interpreters, the script or package it runs: --zombies uses it to say
// whether PID 1 reaps.
import * as fs from 'fs'
import * as path from 'path'

/** Init programs known to reap adopted children; keys are comm / argv basenames. */
const KNOWN_INITS: ReadonlyArray<[string, string]> = [
  ['tini-ts', 'tini-ts'],
  ['tini', 'tini'],
  ['tini-static', 'tini'],
  ['docker-init', 'docker-init (tini)'],
  ['dumb-init', 'dumb-init'],
  ['catatonit', 'catatonit'],
  ['podman-init', 'catatonit'],
  ['systemd', 'systemd'],
  ['init', 'init'],
  ['s6-svscan', 's6-svscan'],
  ['s6-linux-init', 's6-linux-init'],
  ['runit', 'runit'],
  ['runit-init', 'runit'],
  ['runsvdir', 'runsvdir'],
  ['openrc-init', 'openrc-init'],
  ['pause', 'pause'],
  ['dinit', 'dinit'],
  ['my_init', 'my_init'],
  ['pid1', 'pid1'],
  ['supervisord', 'supervisord'],
  ['monit', 'monit'],
]

/** Programs that install a SIGCHLD handler but only wait for children they spawned themselves. */
export const OWN_CHILDREN_ONLY = new Set(['node', 'nodejs', 'deno', 'bun'])
export const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox'])
const INTERPRETERS = /^(node|nodejs|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|sh|bash|dash|ash)$/

export function base(p: string): string {
  return path.posix.basename(p).replace(/^-/, '') // "-bash" for login shells
}

function lookupInit(name: string): string | null {
  if (!name) return null
  for (const [key, label] of KNOWN_INITS) {
    if (name === key) return label // all keys fit in comm's 15 bytes
  }
  return null
}

/**
 * Name in the nearest package.json above PID 1's script (at most 4 levels
 * up), e.g. "tini-ts" for `node lib/main.js` run from a tini-ts checkout.
 * Relative paths are resolved against /proc/1/cwd (or, when that is not
 * readable, our own cwd), and files are looked up
 * through /proc/1/root first (right even across mount namespaces; needs the
 * privileges to inspect PID 1), then directly (same mount namespace, the
 * usual case inside a container). Best effort: any error gives null.
 */
function scriptPackageName(script: string, pidDir: string): string | null {
  let abs = script
  if (!path.posix.isAbsolute(abs)) {
    try {
      abs = path.posix.resolve(fs.readlinkSync(path.posix.join(pidDir, 'cwd')), abs)
    } catch {
      // /proc/1/cwd needs ptrace access (not for a non-root user): guess that
      // we were started from the same directory, as in `docker exec`.
      abs = path.posix.resolve(process.cwd(), abs)
    }
  }
  let dir = path.posix.dirname(abs)
  for (let i = 0; i < 4 && dir !== '/'; i++, dir = path.posix.dirname(dir)) {
    for (const prefix of [path.posix.join(pidDir, 'root'), '']) {
      try {
        const text = fs.readFileSync(prefix + path.posix.join(dir, 'package.json'), 'utf8')
        const pkg = JSON.parse(text) as { name?: unknown }
        return typeof pkg.name === 'string' ? pkg.name : null
      } catch {
        // not there, not readable, or not JSON: try the next candidate
      }
    }
  }
  return null
}

/**
 * Identify a known init from PID 1's comm and argv. Matches comm, basename
 * of argv[0], and, when argv[0] is an interpreter (node, python, sh, ...), the
 * script it runs — so `node /usr/lib/node_modules/tini-ts/bin/tini-ts` and
 * `node .../tini-ts/lib/main.js` are both recognised as tini-ts.
 */
export function identifyInit(comm: string | null, argv: string[] | null, pidDir?: string): string | null {
  const args = argv ?? []
  if (comm !== null) {
    // "init" is ambiguous (sysvinit, busybox, a symlink to systemd...), but all of those reap.
    const byComm = lookupInit(comm)
    if (byComm !== null) return byComm
  }
  if (args.length > 0) {
    const a0 = base(args[0])
    const byArgv0 = lookupInit(a0)
    if (byArgv0 !== null) return byArgv0
    if (INTERPRETERS.test(a0) || (comm !== null && INTERPRETERS.test(comm))) {
      for (const a of args.slice(1, 4)) {
        if (a.startsWith('-')) continue
        if (/(^|\/)tini-ts(\/|$)/.test(a)) return 'tini-ts'
        if (pidDir !== undefined && /^(node|nodejs)$/.test(a0) && scriptPackageName(a, pidDir) === 'tini-ts') {
          return 'tini-ts'
        }
        const byScript = lookupInit(base(a).replace(/\.(js|cjs|mjs|py|pl|sh)$/, ''))
        if (byScript !== null) return byScript
        break // only the first non-option argument is the script
      }
    }
  }
  return null
}
