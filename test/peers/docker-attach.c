/* `docker attach NAME` of the test/peers docker stand-in: relays this
 * terminal to the container's, through the unix socket that
 * docker-shim.py's `run --tty` serves.
 *
 * This terminal stays in cooked mode: a Ctrl-C (Ctrl-\, Ctrl-Z) typed here
 * raises SIGINT (SIGQUIT, SIGTSTP) in this process, and the handler writes
 * the key's byte to the container's terminal, whose line discipline raises
 * the signal there, as docker's raw-mode relay of the key would.
 *
 * tini's test closes this terminal right after typing (sendline('exit 0'),
 * sendintr(), then close()), and the last close of a pty's master hangs up
 * the slave, which flushes input the line discipline has not processed yet
 * (the pty's buffer is pushed from a work queue): what was typed last can be
 * lost. So this relay holds a copy of its own terminal's master, taken from
 * the parent that made it (pidfd_getfd(2); the test runs as root): the test's
 * close is then not the last one, and every byte typed is read. The relay
 * ends when the container's terminal goes away. pexpect's close() then
 * signals what is still alive (SIGHUP, ignored; SIGCONT; SIGINT, forwarded as
 * a Ctrl-C, which is what a Ctrl-C to an attached docker client does too).
 *
 * Usage: docker-attach SOCKET */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int sock = -1;

static void send_key(int sig) {
  char key = sig == SIGINT ? '\x03' : sig == SIGQUIT ? '\x1c' : '\x1a';
  int saved = errno;
  (void)!write(sock, &key, 1);
  errno = saved;
}

/* A copy of the master of the pty on stdin, from our parent's descriptors;
 * -1 when there is none to take (then a hangup may lose the last input). */
static int hold_master(void) {
  unsigned ours;
  const char *name = ttyname(0);
  if (!name || sscanf(name, "/dev/pts/%u", &ours) != 1) return -1;
  pid_t parent = getppid();
  int pidfd = (int)syscall(SYS_pidfd_open, parent, 0);
  if (pidfd < 0) return -1;
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/fd", (int)parent);
  DIR *d = opendir(dir);
  int held = -1;
  for (struct dirent *e; d && held < 0 && (e = readdir(d));) {
    char path[600], link[64];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n <= 0) continue;
    link[n] = 0;
    if (strcmp(link, "/dev/ptmx") != 0 && strcmp(link, "/dev/pts/ptmx") != 0) continue;
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
    unsigned num;
    if (fd >= 0 && ioctl(fd, TIOCGPTN, &num) == 0 && num == ours) held = fd;
    else if (fd >= 0) close(fd);
  }
  if (d) closedir(d);
  close(pidfd);
  return held;
}

static int copy(int from, int to) {
  char buf[4096];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && errno == EINTR ? 1 : 0;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    off += w;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: docker-attach SOCKET\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path) return 2;
  strcpy(addr.sun_path, argv[1]);
  sock = socket(AF_UNIX, SOCK_STREAM, 0);
  if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("docker attach");
    return 1;
  }
  hold_master();
  signal(SIGHUP, SIG_IGN);
  struct sigaction sa = {.sa_handler = send_key};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL);
  sigaction(SIGTSTP, &sa, NULL);
  struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents) {
      char buf[4096];
      ssize_t n = read(sock, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR)) return 0; /* the container's terminal is gone */
      if (n > 0) (void)!write(1, buf, (size_t)n); /* our terminal may be gone */
    }
    if (fds[0].revents && !copy(0, sock)) fds[0].fd = -1; /* hung up: stop reading it */
  }
}
