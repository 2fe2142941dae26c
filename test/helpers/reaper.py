#!/usr/bin/python3
"""Runs a command (the test runner, or a peer's test suite) as a child
subreaper, so that no process the tests leave behind can escape to the
machine's init: every orphan below is re-parented here.

    reaper.py COMMAND [ARGS...]

- Orphans that exit are reaped at once (no zombie piles up).
- TINI_TS_TEST_REAPER=<our pid> is set for the command: test/helpers/
  leftovers.ts lists our children other than the runner's own chain, which
  is how each tier's last test finds what that tier left running.
- When the command ends, whatever is still below us gets 5 s to finish, is
  then named on stderr and killed (SIGKILL, its descendants too: they are
  re-parented here as their parents die); the exit status is the command's,
  or 1 if it succeeded but something was left.
- SIGINT and SIGQUIT (a Ctrl-C at the terminal) reach the command through
  its process group and are ignored here; SIGTERM and SIGHUP are forwarded.
Run it as PID 1 of a private PID namespace (unshare --pid --fork
--mount-proc) and everything left dies with the namespace in any case.
"""
import ctypes
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures'))
from proc_stat import processes, reap  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36


def children(pid):
    """Our children that have not exited, from /proc."""
    return [p for (p, state, ppid, _, _) in processes() if ppid == pid and state != 'Z']


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace').strip()
    except OSError:
        return '?'



def main(argv):
    if not argv:
        sys.exit('usage: reaper.py COMMAND [ARGS...]')
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit('reaper: cannot become a child subreaper: errno %d' % ctypes.get_errno())
    me = os.getpid()
    os.environ['TINI_TS_TEST_REAPER'] = str(me)
    child = os.fork()
    if child == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            sys.stderr.write('reaper: %s: %s\n' % (argv[0], e))
            os._exit(127)
    for sig in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, _f: os.kill(child, n))
    status = None
    while status is None:
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == child:
            status = st
    code = os.waitstatus_to_exitcode(status) if status is not None else 1
    code = code if code >= 0 else 128 - code
    deadline = time.time() + 5
    while children(me) and time.time() < deadline:
        reap()
        time.sleep(0.05)
    left = children(me)
    if left:
        sys.stderr.write('reaper: %d process(es) left behind, killed:\n' % len(left))
        for pid in left:
            sys.stderr.write('reaper:   %d %s\n' % (pid, cmdline(pid)))
        deadline = time.time() + 10
        while left and time.time() < deadline:
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
            reap()
            left = children(me)
        if code == 0:
            code = 1
    sys.exit(code)


if __name__ == '__main__':
    main(sys.argv[1:])
