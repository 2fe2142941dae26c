/*
 * tree.c: terminating every descendant (--timeout, and the cleanup after the
 * program exits), as src/terminate.ts does: SIGTERM and SIGCONT to each
 * member, again to any that appear (forks), SIGKILL after the grace period
 * to whatever is left, until nothing is left (or 2 s more, then give up).
 * Zombies count as gone: we reap our children, and a zombie of a live
 * member goes when that member dies.
 *
 * Only processes that are provably ours are signalled. We are a subreaper,
 * so every descendant, setsid daemons included, is reachable by parent
 * links from us: the walk reads /proc/PID/task/TID/children, never groups
 * or sessions. Each signal goes through a pidfd (pidfd_send_signal(2)), so
 * it reaches the process that was found, never a later holder of its pid.
 * A child C listed under member P is trusted only after:
 *   1. pidfd_open(C): the fd names whoever holds pid C now;
 *   2. /proc/C/stat says its parent is P;
 *   3. poll on C's pidfd: still running. So the stat read in 2 was of the
 *      process the fd names (a pid is not reused while its holder exists);
 *   4. P is us, or P's pidfd says it still runs. So P's pid was P's when
 *      2 was read, and C's parent was a member: C is ours.
 * A member that fails 4 has died; its children are re-parented to us and
 * found through us on the next round.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "frontend.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define POLL_MS 20
#define KILL_WAIT_MS 2000

struct member {
  pid_t pid;
  int fd;     /* pidfd; -1 for ourselves */
  int termed; /* SIGTERM sent */
  int seen;   /* found in this round's walk */
};

struct tree {
  struct member *m;
  size_t n, cap;
};

static int running(int pidfd) {
  if (pidfd < 0) return 1; /* ourselves */
  struct pollfd p = {.fd = pidfd, .events = POLLIN, .revents = 0};
  return poll(&p, 1, 0) == 0; /* readable once it has exited */
}

static void send(const struct member *m, int sig) {
  syscall(SYS_pidfd_send_signal, m->fd, sig, NULL, 0);
}

/* The whole content of a small /proc file, NUL-terminated; NULL if gone. */
static char *slurp(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 512, n = 0;
  char *buf = malloc(cap);
  for (ssize_t k; buf; n += (size_t)k) {
    if (n + 1 == cap) {
      char *b = realloc(buf, cap *= 2);
      if (!b) { free(buf); buf = NULL; break; }
      buf = b;
    }
    k = read(fd, buf + n, cap - 1 - n);
    if (k < 0 && errno == EINTR) { k = 0; continue; }
    if (k <= 0) break;
  }
  close(fd);
  if (buf) buf[n] = 0;
  return buf;
}

static pid_t parent_of(pid_t pid) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  char *s = slurp(path);
  if (!s) return -1;
  char *rp = strrchr(s, ')'); /* the command name may hold anything */
  long ppid = -1;
  if (rp && rp[1] == ' ' && rp[2] && rp[3] == ' ') ppid = strtol(rp + 4, NULL, 10);
  free(s);
  return (pid_t)ppid;
}

static struct member *find(struct tree *t, pid_t pid) {
  for (size_t i = 0; i < t->n; i++)
    if (t->m[i].pid == pid) return &t->m[i];
  return NULL;
}

static void drop(struct tree *t, struct member *m) {
  if (m->fd >= 0) close(m->fd);
  *m = t->m[--t->n];
}

/* Child C of member P (index pi): known and running, or newly proven ours. */
static void take_child(struct tree *t, size_t pi, pid_t c) {
  struct member *known = find(t, c);
  if (known && running(known->fd)) {
    known->seen = 1;
    return;
  }
  if (known) {
    /* It exited, and its pid may be someone new: the slot is left for the
     * end of the round to remove (indices must not move during the walk). */
    close(known->fd);
    *known = (struct member){.pid = 0, .fd = -1, .termed = 0, .seen = 0};
  }
  int fd = (int)syscall(SYS_pidfd_open, c, 0);
  if (fd < 0) return; /* gone; or no descriptor free: tried next round */
  struct member p = t->m[pi];
  if (parent_of(c) != p.pid || !running(fd) || !running(p.fd)) {
    close(fd);
    return;
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct member *m = realloc(t->m, cap * sizeof *m);
    if (!m) { close(fd); return; }
    t->m = m;
    t->cap = cap;
  }
  t->m[t->n++] = (struct member){.pid = c, .fd = fd, .termed = 0, .seen = 1};
}

/* Every child of member pi, from each of its threads' children list. */
static void walk_children(struct tree *t, size_t pi) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)t->m[pi].pid);
  DIR *d = opendir(path);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char cpath[64 + sizeof e->d_name + 16];
    snprintf(cpath, sizeof cpath, "%s/%s/children", path, e->d_name);
    char *list = slurp(cpath);
    if (!list) continue;
    for (char *p = list, *end; *p; p = end) {
      long c = strtol(p, &end, 10);
      if (end == p) break;
      take_child(t, pi, (pid_t)c);
    }
    free(list);
  }
  closedir(d);
}

/* One round: mark what is found from us down, forget the rest; the number
 * of members still running. Index 0 is ourselves. */
static size_t scan(struct tree *t) {
  for (size_t i = 1; i < t->n; i++) t->m[i].seen = 0;
  /* Breadth first: members appended during the walk are walked too. */
  for (size_t i = 0; i < t->n; i++) {
    if (t->m[i].seen && running(t->m[i].fd)) walk_children(t, i);
  }
  size_t live = 0;
  for (size_t i = 1; i < t->n;) {
    if (!t->m[i].seen || !running(t->m[i].fd)) {
      drop(t, &t->m[i]);
      continue;
    }
    live++;
    i++;
  }
  return live;
}

void terminate_tree(struct run *r, long long grace_ms) {
  struct tree t = {.m = malloc(64 * sizeof(struct member)), .n = 1, .cap = 64};
  if (!t.m) return;
  t.m[0] = (struct member){.pid = r->self, .fd = -1, .termed = 0, .seen = 1};
  long long deadline = now_ms() + grace_ms;
  for (;;) {
    if (scan(&t) == 0) goto done;
    for (size_t i = 1; i < t.n; i++) {
      if (t.m[i].termed) continue;
      t.m[i].termed = 1;
      send(&t.m[i], SIGTERM);
      send(&t.m[i], SIGCONT); /* a stopped process would never see SIGTERM */
    }
    long long left = deadline - now_ms();
    if (left <= 0) break;
    pump(r, left < POLL_MS ? left : POLL_MS);
  }
  long long kill_deadline = now_ms() + KILL_WAIT_MS;
  for (;;) {
    if (scan(&t) == 0 || now_ms() >= kill_deadline) goto done;
    for (size_t i = 1; i < t.n; i++) send(&t.m[i], SIGKILL);
    pump(r, POLL_MS / 4);
  }
done:
  for (size_t i = 1; i < t.n; i++) close(t.m[i].fd);
  free(t.m);
}
