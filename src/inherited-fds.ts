// Descriptors beyond stdio that were handed to the init, to hand on to the
// program as tini does (socket activation, `3>log`, ...).
//
// Node calls uv_disable_stdio_inheritance() at start, which marks fds 0-15
// (and any contiguous run beyond) close-on-exec, so inherited descriptors
// would be lost at exec. By the time our code runs Node has opened its own
// descriptors among them, and the kernel keeps no record of which came first;
// so we tell them apart by kind (proc(5) /proc/self/fd links, read by the
// addon's fdTable()):
//   - anon_inode:[eventpoll|eventfd|io_uring|...]: the runtime's, never passed;
//   - a pipe or socket whose other end we hold too: the runtime's self-pipes;
//   - /dev/null: libuv keeps one open; an inherited /dev/null is not worth
//     the ambiguity (the program can open its own);
//   - anything else that is close-on-exec: inherited, passed on.
// Descriptors without close-on-exec pass through exec anyway.

export interface FdEntry {
  fd: number
  target: string
  cloexec: boolean
}

/** The addon's fdTable() rows as entries. */
export function fdEntries(rows: [number, string, boolean][]): FdEntry[] {
  return rows.map(([fd, target, cloexec]) => ({ fd, target, cloexec }))
}

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
        e.cloexec,
    )
    .map((e) => e.fd)
    .sort((a, b) => a - b)
}
