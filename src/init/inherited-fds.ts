// Descriptors beyond stdio that were handed to the init, to hand on to the
// program as tini does (socket activation, `3>log`, a make jobserver, ...).
//
// tini passes every descriptor that is open without close-on-exec. Node
// breaks that at start: uv_disable_stdio_inheritance() marks close-on-exec
// every fd from 0 to 15 and then each further one up to the first closed
// number, and the runtime then opens its own descriptors (event loops:
// epoll, io_uring, eventfd, signal pipes; libuv's signal lock pipe), every
// one of them close-on-exec, at the lowest free numbers (open(2): "the
// lowest-numbered file descriptor not currently open"), in among ours.
//
// The rule. A descriptor >= 3 is the program's unless it is
// positively the runtime's:
//  1. not close-on-exec: the runtime makes none such, and it passes exec
//     anyway: the program's;
//  2. above the first closed number: the program's. The runtime's fds were
//     each the lowest free number when made and none is closed since, so all
//     of them lie below the first hole (a 3>&1 | cat dup, fd 70, 100 fds:
//     passed whatever they are);
//  3. below it, the runtime's are, from the addon's fdFacts():
//     - the fds a libuv loop struct names (this loop's epoll, signal pipe,
//       eventfd), and what is registered in any epoll below the first hole,
//       with the other end of such a pipe;
//     - libuv's signal lock pipe: the only blocking pipe held at both ends
//       here, or, when an inherited one looks the same, found exactly by a
//       fork (the child's pthread_atfork handler re-creates it: see
//       find_fork_recreated and js_fd_facts);
//     - anonymous inodes of the kinds the runtime makes: epoll, eventfd,
//       io_uring (the loops whose structs no API reaches; a program cannot
//       use an inherited one of these without knowing it, and none of tini's
//       users hand one over). Other anonymous inodes (inotify, pidfd,
//       timerfd, signalfd, ...) the runtime never makes: the program's.
//       Without /proc the kind is unknown (every anonymous inode looks the
//       same to fstat), and every one is taken for the runtime's;
//     - a pipe with both ends here and both O_NONBLOCK: the signal pipe of a
//       libuv loop no API reaches (libuv makes them so; a make jobserver's
//       write end is blocking); and, when the fork failed (a full pids
//       cgroup), a blocking pipe with both ends here as the lock pipe, but
//       only if there is exactly one.
//     Everything else below the first hole (files, ttys, sockets, /dev/null,
//     a pipe we hold one end of, both ends of a jobserver) is the program's.

interface FdFact {
  fd: number
  cloexec: boolean
  /** 'anon' | 'pipe' | 'socket' | 'file' | 'dir' | 'chr' | 'blk' | 'other' */
  kind: string
  nonblock: boolean
  /** "dev:ino": one open file (or pipe) under several numbers shares it */
  id: string
  /** why the addon knows it is the runtime's: 'uv-loop', 'uv-signal-lock', or '' */
  own: string
  /** /proc link target ('' without /proc) */
  name: string
  /** for an epoll: the fds registered in it */
  tfds: number[]
}

export interface FdFacts {
  /** /proc was there (fdinfo, link names) */
  proc: boolean
  /** 0, or the errno of the fork that finds libuv's lock pipe */
  fork: number
  rows: [number, boolean, string, boolean, string, string, string, number[]][]
}

/** /proc link names of the anonymous inodes the runtime itself makes. */
const RUNTIME_ANON = new Set(['anon_inode:[eventpoll]', 'anon_inode:[eventfd]', 'anon_inode:[io_uring]'])

/** An anonymous inode that may be the runtime's: of a kind it makes, or of
 * an unknown kind (no /proc). */
function runtimeAnon(e: FdFact): boolean {
  return e.kind === 'anon' && (e.name === '' || RUNTIME_ANON.has(e.name))
}

function factsOf(f: FdFacts): FdFact[] {
  return f.rows.map(([fd, cloexec, kind, nonblock, id, own, name, tfds]) => ({ fd, cloexec, kind, nonblock, id, own, name, tfds }))
}

interface Inherited {
  fds: number[]
  /** what could not be told for sure (for one warning line) */
  notes: string[]
}

/** The descriptors (>= 3) to hand on to the program; see the rule above. */
export function inheritedFds(facts: FdFacts): Inherited {
  const table = factsOf(facts)
  const notes: string[] = []
  const open = new Set(table.map((e) => e.fd))
  let hole = 0
  while (open.has(hole)) hole++
  const low = table.filter((e) => e.fd < hole && e.cloexec)
  const runtimeIds = new Set<string>()
  const byFd = new Map(table.map((e) => [e.fd, e]))
  for (const e of low) {
    if (e.own) runtimeIds.add(e.id)
    for (const t of e.tfds) {
      const r = byFd.get(t)
      if (r && r.kind === 'pipe') runtimeIds.add(r.id)
    }
  }
  // pipes with both ends here, by id
  const ends = new Map<string, FdFact[]>()
  for (const e of low) if (e.kind === 'pipe') ends.set(e.id, [...(ends.get(e.id) ?? []), e])
  const bothEnds = [...ends.values()].filter((l) => l.length === 2 && !runtimeIds.has(l[0].id))
  for (const l of bothEnds) if (l.every((e) => e.nonblock)) runtimeIds.add(l[0].id)
  if (facts.fork !== 0) {
    const blocking = bothEnds.filter((l) => l.every((e) => !e.nonblock))
    if (blocking.length === 1) runtimeIds.add(blocking[0][0].id)
    notes.push(
      `could not fork to find libuv's own pipe (errno ${facts.fork})` +
        (blocking.length > 1 ? `: ${blocking.length} pipes held at both ends are passed on, one of them the runtime's` : ''),
    )
  }
  if (!facts.proc) notes.push('no /proc: descriptors were found without it (epoll registrations unknown)')
  const fds = table
    // Anonymous inodes mostly share one inode (one "dev:ino" for all): they
    // are told apart by kind and by the addon's `own`, never by id.
    .filter((e) => e.fd >= 3 && (!e.cloexec || e.fd > hole || !(runtimeAnon(e) || e.own || (e.kind !== 'anon' && runtimeIds.has(e.id)))))
    .map((e) => e.fd)
  return { fds, notes }
}
