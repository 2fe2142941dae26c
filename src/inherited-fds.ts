// Descriptors beyond stdio that were handed to the init, to hand on to the
// program as tini does (socket activation, `3>log`, ...).
//
// Node calls uv_disable_stdio_inheritance() at start, which marks fds 0-15
// (and any contiguous run beyond) close-on-exec, so inherited descriptors
// would be lost at exec. By the time our code runs Node has opened its own
// descriptors among them, and the kernel keeps no record of which came first;
// so we tell them apart by kind (proc(5) /proc/self/fd links):
//   - anon_inode:[eventpoll|eventfd|io_uring|...]: the runtime's, never passed;
//   - a pipe or socket whose other end we hold too: the runtime's self-pipes;
//   - /dev/null: libuv keeps one open; an inherited /dev/null is not worth
//     the ambiguity (the program can open its own);
//   - anything else that is close-on-exec: inherited, passed on.
// Descriptors without close-on-exec pass through exec anyway.
import * as fs from 'node:fs'

const O_CLOEXEC = 0o2000000

export interface FdEntry {
  fd: number
  target: string
  /** read lazily: only for descriptors that may be inherited */
  cloexec: boolean | (() => boolean)
}

/** The fd table (links only; close-on-exec is read on demand, from fdinfo). */
export function readFdTable(dir = '/proc/self/fd', infoDir = '/proc/self/fdinfo'): FdEntry[] {
  const out: FdEntry[] = []
  for (const name of fs.readdirSync(dir)) {
    try {
      out.push({
        fd: Number(name),
        target: fs.readlinkSync(`${dir}/${name}`),
        cloexec: () => {
          try {
            const flags = /flags:\s*([0-7]+)/.exec(fs.readFileSync(`${infoDir}/${name}`, 'latin1'))
            return flags ? (parseInt(flags[1], 8) & O_CLOEXEC) !== 0 : false
          } catch {
            return false
          }
        },
      })
    } catch {
      // the readdir handle itself, closed meanwhile
    }
  }
  return out
}

const isCloexec = (e: FdEntry) => (typeof e.cloexec === 'function' ? e.cloexec() : e.cloexec)

/** The close-on-exec descriptors (>= 3) that look inherited, not the runtime's. */
export function inheritedFds(table: FdEntry[]): number[] {
  const seen = new Map<string, number>()
  for (const e of table) seen.set(e.target, (seen.get(e.target) ?? 0) + 1)
  return table
    .filter(
      (e) =>
        e.fd >= 3 &&
        !e.target.startsWith('anon_inode:') &&
        e.target !== '/dev/null' &&
        !(/^(pipe|socket):/.test(e.target) && (seen.get(e.target) ?? 0) > 1) &&
        isCloexec(e), // last: the only check that reads a file
    )
    .map((e) => e.fd)
    .sort((a, b) => a - b)
}
