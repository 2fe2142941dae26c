#!/usr/bin/python3
"""The few `docker` commands tini's test/run_outer_tests.py uses, on a PID
namespace instead of a container (`unshare --pid --fork --mount-proc`): the
init under test is PID 1 there, as in `docker run`. The host is the "image";
the volume SRC:/tini is the test's own source tree, so /tini/... paths in the
command are rewritten to SRC/..., and /tini/dist/tini and tini-static (what
tini's CI builds) to $TINI_TS.

  docker run [--rm] [--volume=SRC:/tini] [--name=N] [--entrypoint=E] [-e K=V]...
             [--tty] [--interactive] IMAGE [ARGS...]
  docker kill -s SIG N        signal N's PID 1 from outside the namespace
  docker attach N             talk to N's terminal (run with --tty): done by
                              docker-attach.c (see test/peers/bin/docker)

State (pids, attach sockets) lives in $DOCKER_SHIM_STATE.
"""
import fcntl
import os
import select
import signal
import socket
import subprocess
import sys
import termios
import time
import tty as ttymode

STATE = os.environ.get('DOCKER_SHIM_STATE', '/tmp/tini-ts-docker-shim')
TINI_TS = os.environ['TINI_TS']


def ns_pid(unshare_pid, timeout=10):
    """Host pid of the namespace's PID 1: the only child of `unshare --fork`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open('/proc/%d/task/%d/children' % (unshare_pid, unshare_pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            return None
        time.sleep(0.005)
    return None


def run(args):
    volume, name, entrypoint, env, tty = None, None, None, {}, False
    while args and args[0].startswith('-'):
        a = args.pop(0)
        if a.startswith('--volume='):
            volume = a.split('=', 1)[1].split(':')[0]
        elif a.startswith('--name='):
            name = a.split('=', 1)[1]
        elif a.startswith('--entrypoint='):
            entrypoint = a.split('=', 1)[1]
        elif a == '-e':
            k, _, v = args.pop(0).partition('=')
            env[k] = v
        elif a in ('--tty', '-t'):
            tty = True
        elif a in ('--rm', '--interactive', '-i'):
            pass
        else:
            sys.exit('docker shim: unsupported option %s' % a)
    image = args.pop(0)  # the image: the host itself
    if image != os.environ.get('DOCKER_SHIM_IMAGE'):
        # Never run another image's commands (e.g. `dpkg -i`) on the host.
        sys.exit('docker shim: no image %s (only $DOCKER_SHIM_IMAGE, the host)' % image)
    cmd = ([entrypoint] if entrypoint else []) + args

    def host_path(p):
        if p in ('/tini/dist/tini', '/tini/dist/tini-static'):
            return TINI_TS
        if volume and p.startswith('/tini/'):
            return os.path.join(volume, p[len('/tini/'):])
        return p

    cmd = [host_path(c) for c in cmd]
    child_env = {'PATH': os.environ['PATH'], 'HOME': '/root', 'TERM': 'xterm'}
    child_env.update(env)
    argv = ['unshare', '--pid', '--fork', '--mount-proc', '--'] + cmd
    os.makedirs(STATE, exist_ok=True)
    pidfile = os.path.join(STATE, (name or 'anon') + '.pid')
    if not tty:
        p = subprocess.Popen(argv, env=child_env)
        pid = ns_pid(p.pid)
        if pid:
            with open(pidfile, 'w') as f:
                f.write(str(pid))
        rc = p.wait()
        sys.exit(rc if rc >= 0 else 128 - rc)
    # --tty: a new terminal; our stdio and any `docker attach` relay to it.
    # Its session leader is unshare, not the init as under docker (setsid +
    # TIOCSCTTY in the container): the init's process group and session lie
    # outside its PID namespace and read as 0, as for `unshare -fp` on a
    # user's terminal.
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        os.close(slave)
        os.execvpe(argv[0], argv, child_env)
    os.close(slave)
    init = ns_pid(pid)
    if init:
        with open(pidfile, 'w') as f:
            f.write(str(init))
    sockpath = os.path.join(STATE, (name or 'anon') + '.sock')
    try:
        os.unlink(sockpath)
    except OSError:
        pass
    server = socket.socket(socket.AF_UNIX)
    server.bind(sockpath)
    server.listen(4)
    clients = []
    stdin_open = True
    restore = raw_terminal(0)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        fds = [master, server] + clients + ([0] if stdin_open else [])
        r, _, _ = select.select(fds, [], [], 0.05)
        if master in r:
            try:
                data = os.read(master, 4096)
            except OSError:
                data = b''
            if data:
                os.write(1, data)
                for c in list(clients):
                    try:
                        c.sendall(data)
                    except OSError:
                        clients.remove(c)
        if server in r:
            clients.append(server.accept()[0])
        for c in [c for c in clients if c in r]:
            data = c.recv(4096)
            if data:
                os.write(master, data)
            else:
                clients.remove(c)
        if 0 in r:
            try:
                data = os.read(0, 4096)
            except OSError:
                data = b''
            if data:
                os.write(master, data)
            else:
                stdin_open = False
    restore()
    server.close()
    sys.exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def kill(args):
    sig = 'KILL'
    if args[0] == '-s':
        sig = args[1]
        args = args[2:]
    with open(os.path.join(STATE, args[0] + '.pid')) as f:
        pid = int(f.read())
    os.kill(pid, getattr(signal, 'SIG' + sig))


def raw_terminal(fd):
    """As the docker client does with --tty: the caller's terminal in raw
    mode, so that keys (Ctrl-C too) go through as bytes to the container's
    terminal, whose line discipline turns them into signals. Returns the
    function that restores the mode."""
    if not os.isatty(fd):
        return lambda: None
    saved = termios.tcgetattr(fd)
    ttymode.setraw(fd)

    def restore():
        try:
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        except termios.error:  # the terminal hung up meanwhile
            pass
    return restore


if __name__ == '__main__':
    {'run': run, 'kill': kill}[sys.argv[1]](sys.argv[2:])
