/*
 * fd_facts.c: what is known about every open descriptor at start-up, for the
 * rule in src/init/inherited-fds.ts (policy lives there), and its N-API call
 * fdFacts (JS thread; never reached from a handler).
 */
#define _GNU_SOURCE
#include "exports.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"
#include "proc_self.h"
#include "reap_gate.h"

/* ---- descriptors: the runtime's own, and the ones handed to us ---------- */

/* Every open descriptor, ascending. /proc/self/fd when mounted; without /proc
 * poll(2) with events 0 over every possible number up to
 * RLIMIT_NOFILE, which reports POLLNVAL for closed ones: one syscall per 4096
 * descriptors, no fd opened to look. */
static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int *list_fds(size_t *count, int *from_proc) {
  size_t cap = 64, n = 0;
  int *fds = malloc(cap * sizeof(int));
  if (!fds) return NULL;
  DIR *d = opendir("/proc/self/fd");
  *from_proc = d != NULL;
  if (d) {
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      int fd = atoi(e->d_name);
      if (fd == dfd) continue;
      if (n == cap) {
        int *f = realloc(fds, (cap *= 2) * sizeof(int));
        if (!f) { free(fds); closedir(d); return NULL; }
        fds = f;
      }
      fds[n++] = fd;
    }
    closedir(d);
  } else {
    struct rlimit rl;
    rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    if (max == RLIM_INFINITY || max > (1u << 30)) max = 1u << 30;
    struct pollfd pf[4096];
    for (rlim_t base = 0; base < max; base += 4096) {
      int k = (int)(max - base < 4096 ? max - base : 4096);
      for (int i = 0; i < k; i++) { pf[i].fd = (int)(base + i); pf[i].events = 0; pf[i].revents = 0; }
      if (poll(pf, (nfds_t)k, 0) < 0 && errno != EINTR) break;
      for (int i = 0; i < k; i++) {
        if (pf[i].revents & POLLNVAL) continue;
        if (n == cap) {
          int *f = realloc(fds, (cap *= 2) * sizeof(int));
          if (!f) { free(fds); return NULL; }
          fds = f;
        }
        fds[n++] = pf[i].fd;
      }
    }
  }
  qsort(fds, n, sizeof(int), cmp_int);
  *count = n;
  return fds;
}

/* fstat(2) as the raw system call: glibc 2.33 made fstat a versioned symbol
 * (fstat64@GLIBC_2.33), which would lift the addon's floor above 2.28 (Node
 * 24's own). The kernel's struct stat is glibc's on x86-64 and on aarch64
 * (asm-generic). A bare system call is async-signal-safe (signal-safety(7)). */
static int fd_stat(int fd, struct stat *st) {
  return (int)syscall(SYS_fstat, fd, st);
}

/* After a child of our own (not the program, not an orphan) is reaped: let
 * the SIGCHLD handlers reap again, catch up on what they deferred, restore
 * the signal mask. */
static void end_internal_child(const sigset_t *old) {
  reap_release();
  sigprocmask(SIG_SETMASK, old, NULL);
}

/* libuv's process-wide signal lock: a blocking pipe, both ends ours, made at
 * the first uv_loop_init. Nothing in libuv's API names it, and a make
 * jobserver looks just the same. But libuv registers
 * pthread_atfork(NULL, NULL, uv__signal_global_reinit), which in a fork(2)ed
 * child closes the lock pipe and makes a new one: the descriptors whose file
 * differs in a child are exactly libuv's lock. One fork at start-up, after
 * our handlers are installed (the entry takes the signals first of all); the
 * child only fstat(2)s, writes to a shared page and _exits. found[i] = 1 for those. 0 or an errno (the fork
 * failed: a full pids cgroup), and then nothing is marked. */
static int find_fork_recreated(const int *fds, const struct stat *st, const int *ok, size_t n,
                               unsigned char *found) {
  unsigned char *shared = mmap(NULL, n + 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return errno;
  memset(shared, 0, n + 1);
  /* Our handlers are installed already (they go in first thing): block
   * every signal here, so the child runs none of them, and hold reaping
   * (as spawn does) so no SIGCHLD handler on another thread reaps this child
   * and reports it as an orphan. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  reap_hold();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    end_internal_child(&old);
    munmap(shared, n + 1);
    return err;
  }
  if (pid == 0) {
    for (size_t i = 0; i < n; i++) {
      if (!ok[i] || !S_ISFIFO(st[i].st_mode)) continue;
      struct stat now;
      if (fd_stat(fds[i], &now) < 0 || now.st_ino != st[i].st_ino || now.st_dev != st[i].st_dev) shared[i] = 1;
    }
    shared[n] = 1; /* done */
    _exit(0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  end_internal_child(&old);
  int err = shared[n] ? 0 : ECHILD;
  if (!err) memcpy(found, shared, n);
  munmap(shared, n + 1);
  return err;
}

/* Close-on-exec and blocking: how libuv's signal lock pipe ends look. */
static int blocking_cloexec(int fd) {
  int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
  return fdfl >= 0 && (fdfl & FD_CLOEXEC) && fl >= 0 && !(fl & O_NONBLOCK);
}

/* The descriptors of one libuv loop that its struct names (uv/unix.h). */
static void loop_fds(uv_loop_t *loop, int *out, int *k) {
  if (!loop) return;
  out[(*k)++] = loop->backend_fd;
  out[(*k)++] = loop->signal_pipefd[0];
  out[(*k)++] = loop->signal_pipefd[1];
  out[(*k)++] = loop->async_io_watcher.fd;
  out[(*k)++] = loop->async_wfd;
  out[(*k)++] = loop->inotify_fd;
  out[(*k)++] = loop->emfile_fd;
}

/* fdFacts(): what is known about every open descriptor, for the rule in
 * src/init/inherited-fds.ts (policy lives there):
 *   { proc, fork: 0 | errno, rows: [[fd, cloexec, kind, nonblock, id, own, name, tfds]] }
 * kind: 'anon' (eventpoll, eventfd, io_uring, ...: no file type), 'pipe',
 * 'socket', 'file', 'dir', 'chr', 'blk', 'other'; id: "dev:ino" (the same
 * open file or pipe under two numbers has one id); own: why the runtime
 * owns it ('uv-loop' named by a libuv loop struct, 'uv-signal-lock' found by
 * the fork test, or as the only candidate: see js_fd_facts) or ''; name: the /proc link target ('' without /proc);
 * tfds: for an epoll, the descriptors registered in it (fdinfo, proc(5)). */
napi_value js_fd_facts(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "fdFacts()")) return NULL;
  size_t n = 0;
  int from_proc = 0;
  int *fds = list_fds(&n, &from_proc);
  if (!fds) return throw_errno(env, "listing descriptors", ENOMEM);
  struct stat *st = calloc(n + 1, sizeof *st);
  int *ok = calloc(n + 1, sizeof(int));
  unsigned char *recreated = calloc(n + 1, 1);
  if (!st || !ok || !recreated) {
    free(fds); free(st); free(ok); free(recreated);
    return throw_errno(env, "fdFacts", ENOMEM);
  }
  for (size_t i = 0; i < n; i++) ok[i] = fd_stat(fds[i], &st[i]) == 0;
  /* Loops whose structs we can read: the default loop (if Node made one:
   * uv_default_loop() would make it otherwise) and this environment's. */
  int named[16];
  int nn = 0;
  uv_loop_t *mine = NULL;
  napi_get_uv_event_loop(env, &mine);
  loop_fds(mine, named, &nn);
  /* The fork is needed only to tell libuv's lock pipe from an inherited one
   * that looks the same: below the first closed number, a close-on-exec pipe
   * held at both ends, both blocking. libuv's lock pipe is always one such;
   * when it is the only one (no inherited pipe of that shape: the common
   * case), it is the lock, and the fork (~1.7 ms and a process at every
   * start) is skipped. */
  int fork_err = 0;
  size_t cand = 0, cand_i = 0, cand_j = 0;
  int hole = 0;
  for (size_t i = 0; i < n && fds[i] == hole; i++) hole++;
  for (size_t i = 0; i < n; i++) {
    if (!ok[i] || !S_ISFIFO(st[i].st_mode) || fds[i] >= hole || !blocking_cloexec(fds[i])) continue;
    size_t same = 0, other = i;
    for (size_t j = 0; j < n; j++)
      if (j != i && ok[j] && st[j].st_ino == st[i].st_ino && st[j].st_dev == st[i].st_dev) { same++; other = j; }
    if (same != 1 || other < i || fds[other] >= hole || !blocking_cloexec(fds[other])) continue;
    cand++; cand_i = i; cand_j = other;
  }
  if (cand > 1) fork_err = find_fork_recreated(fds, st, ok, n, recreated);
  else if (cand == 1) recreated[cand_i] = recreated[cand_j] = 1;
  /* The fork's child, if there was one, was reaped by find_fork_recreated's
   * own waitpid while reaping was held: the SIGCHLD handler never saw it, so
   * it was never reported as an orphan. */
  napi_value out, rows;
  napi_create_object(env, &out);
  napi_create_array_with_length(env, n, &rows);
  uint32_t r = 0;
  for (size_t i = 0; i < n; i++) {
    if (!ok[i]) continue;
    int fd = fds[i];
    int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
    mode_t m = st[i].st_mode & S_IFMT;
    const char *kind = m == 0 ? "anon" : S_ISFIFO(st[i].st_mode) ? "pipe" : S_ISSOCK(st[i].st_mode) ? "socket"
                     : S_ISREG(st[i].st_mode) ? "file" : S_ISDIR(st[i].st_mode) ? "dir"
                     : S_ISCHR(st[i].st_mode) ? "chr" : S_ISBLK(st[i].st_mode) ? "blk" : "other";
    const char *own = "";
    for (int k = 0; k < nn; k++) if (named[k] == fd) own = "uv-loop";
    if (recreated[i]) own = "uv-signal-lock";
    char id[64], link[512], path[64];
    snprintf(id, sizeof id, "%llu:%llu", (unsigned long long)st[i].st_dev, (unsigned long long)st[i].st_ino);
    ssize_t ln = -1;
    if (from_proc) {
      snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
      ln = readlink(path, link, sizeof link - 1);
    }
    link[ln > 0 ? ln : 0] = 0;
    napi_value row, v, tfds;
    napi_create_array_with_length(env, 8, &row);
    napi_set_element(env, row, 0, num(env, fd));
    napi_get_boolean(env, fdfl >= 0 && (fdfl & FD_CLOEXEC), &v);
    napi_set_element(env, row, 1, v);
    napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 2, v);
    napi_get_boolean(env, fl >= 0 && (fl & O_NONBLOCK), &v);
    napi_set_element(env, row, 3, v);
    napi_create_string_utf8(env, id, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 4, v);
    napi_create_string_utf8(env, own, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 5, v);
    napi_create_string_latin1(env, link, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 6, v);
    napi_create_array(env, &tfds);
    if (strcmp(link, "anon_inode:[eventpoll]") == 0) {
      /* fdinfo of an epoll: one "tfd: N events: ..." line per registration */
      size_t flen = 0;
      snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
      char *fi = read_all(path, &flen);
      uint32_t t = 0;
      for (char *p = fi; p && (p = strstr(p, "tfd:")) != NULL; p += 4)
        napi_set_element(env, tfds, t++, num(env, atoi(p + 4)));
      free(fi);
    }
    napi_set_element(env, row, 7, tfds);
    napi_set_element(env, rows, r++, row);
  }
  napi_set_named_property(env, out, "rows", rows);
  napi_value b;
  napi_get_boolean(env, from_proc, &b);
  napi_set_named_property(env, out, "proc", b);
  set_num(env, out, "fork", fork_err);
  free(fds); free(st); free(ok); free(recreated);
  return out;
}

