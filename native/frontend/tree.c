/*
 * tree.c: terminating every descendant (--timeout, and the cleanup after the
 * program exits), as src/init/terminate.ts does: SIGTERM and SIGCONT to each
 * member, again to any that appear (forks), SIGKILL after the grace period
 * to whatever is left, until nothing is left (or 2 s more, then give up).
 * Zombies count as gone: we reap our children, and a zombie of a live
 * member goes when that member dies.
 *
 * Only processes that are provably ours are signalled. We are a subreaper,
 * so every descendant, setsid daemons included, is reachable by parent
 * links from us: each round walks /proc/PID/task/TID/children depth first,
 * never groups or sessions. Each signal goes through a pidfd
 * (pidfd_send_signal(2)), so it reaches the process that was found, never
 * a later holder of its pid. A child C listed under member P is trusted
 * only after:
 *   1. pidfd_open(C): the fd names whoever holds pid C now;
 *   2. /proc/C/stat says its parent is P;
 *   3. poll on C's pidfd: still running. So the stat read in 2 was of the
 *      process the fd names (a pid is not reused while its holder exists);
 *   4. P is us, or P's pidfd (held while its children are walked) says it
 *      still runs. So P's pid was P's when 2 was read, and C's parent was a
 *      member: C is ours.
 * A member that fails 4 has died; its children are re-parented to us and
 * found through us on the next round. Only the pidfds of the path being
 * walked are open at a time, and one descriptor more (a low RLIMIT_NOFILE
 * is no obstacle); what was sent SIGTERM is remembered by pid and start
 * time, which no later holder of the pid shares. A process that cannot be
 * looked at (no descriptor free) is not signalled but counted as left, and
 * tried again next round, with one exception: our own children. A child of
 * ours keeps its pid until we reap it, and no round reaps (pump() does,
 * between rounds), so within a round its pid names it as surely as a
 * pidfd: it is signalled by pid (kill(2)) when no pidfd or stat can be
 * had. Whatever it leaves is re-parented to us as it dies, and reached the
 * same way a round later. The program, unreaped, is one of them, even when
 * our own children list cannot be read.
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
#define MAX_DEPTH 512
#define START_UNKNOWN (~0ULL) /* a child of ours signalled by pid: no stat */

/* A process sent SIGTERM: pid and start time (/proc/PID/stat field 22). */
struct termed {
  pid_t pid;
  unsigned long long start;
};

struct walk {
  int sig;           /* SIGTERM (each process once) or SIGKILL (every round) */
  struct termed *t;  /* what was sent SIGTERM */
  size_t n, cap;
  size_t live;       /* members found running this round */
  size_t unreachable;
  pid_t self;
  int blind;         /* why the last one could not be looked at (errno) */
  pid_t program;     /* 0 once reaped */
  int program_seen;  /* the program was found this round */
};

static void missed(struct walk *w, int err) {
  w->unreachable++;
  w->blind = err;
}

static int running(int pidfd) {
  if (pidfd < 0) return 1; /* ourselves */
  struct pollfd p = {.fd = pidfd, .events = POLLIN, .revents = 0};
  return poll(&p, 1, 0) == 0; /* readable once it has exited */
}

static void send(int pidfd, int sig) {
  syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* The whole content of a small /proc file, NUL-terminated; NULL if it
 * cannot be read (gone, or no descriptor or memory free: errno says). */
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

/* Parent and start time from /proc/PID/stat (proc(5)); 0 if unreadable. */
static int stat_of(pid_t pid, pid_t *ppid, unsigned long long *start) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  char *s = slurp(path);
  if (!s) return 0;
  char *p = strrchr(s, ')'); /* the command name may hold anything */
  int ok = 0;
  if (p && p[1] == ' ') {
    p += 2; /* field 3, state */
    for (int field = 3; *p && field < 22; p++)
      if (*p == ' ') field++;
    char *q = strrchr(s, ')') + 4; /* field 4, ppid */
    *ppid = (pid_t)strtol(q, NULL, 10);
    *start = strtoull(p, NULL, 10);
    ok = 1;
  }
  free(s);
  return ok;
}

static int note_termed(struct walk *w, pid_t pid, unsigned long long start) {
  for (size_t i = 0; i < w->n; i++)
    if (w->t[i].pid == pid && w->t[i].start == start) return 0;
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    struct termed *t = realloc(w->t, cap * sizeof *t);
    if (!t) return 1; /* sent again next round: harmless */
    w->t = t;
    w->cap = cap;
  }
  w->t[w->n++] = (struct termed){pid, start};
  return 1;
}

static void visit(struct walk *w, pid_t parent, int parent_fd, int depth);

/* Through member c's pidfd; by pid when fd < 0: a child of ours that cannot
 * be looked at (see the top). */
static void send_to(pid_t c, int fd, int sig) {
  if (fd >= 0) send(fd, sig);
  else kill(c, sig);
}

/* Count member c as left and signal it: the round's signal, or SIGTERM once
 * per process (note_termed) and SIGCONT after it (a stopped process would
 * never see SIGTERM). */
static void take_member(struct walk *w, pid_t c, int fd, unsigned long long start) {
  w->live++;
  if (c == w->program) w->program_seen = 1;
  if (w->sig != SIGTERM) {
    send_to(c, fd, w->sig);
  } else if (note_termed(w, c, start)) {
    send_to(c, fd, SIGTERM);
    send_to(c, fd, SIGCONT);
  }
}

/* Child c of member parent: prove it ours, signal it, walk below it. */
static void take_child(struct walk *w, pid_t parent, int parent_fd, pid_t c, int depth) {
  int own = parent_fd < 0; /* listed in our own children list this round */
  int fd = (int)syscall(SYS_pidfd_open, c, 0);
  if (fd < 0) {
    if (errno == ESRCH) return;
    if (own) take_member(w, c, -1, START_UNKNOWN);
    else missed(w, errno);
    return;
  }
  pid_t ppid = -1;
  unsigned long long start = 0;
  int known = stat_of(c, &ppid, &start);
  if (!known && errno != ENOENT && errno != ESRCH) {
    int err = errno;
    close(fd);
    if (own) take_member(w, c, -1, START_UNKNOWN);
    else missed(w, err);
    return;
  }
  if (known && ppid == parent && running(fd) && running(parent_fd)) {
    /* Parents before their children, as the Node path does: a shell then
     * goes before the job it waits for, and does not report that job's
     * death ("Terminated") on the probe's stderr. The signal takes effect
     * when the process next runs, so its children list is still there to
     * read below; what it leaves is re-parented to us and found next round. */
    take_member(w, c, fd, start);
    if (depth < MAX_DEPTH) visit(w, c, fd, depth + 1);
    else w->unreachable++;
  }
  close(fd);
}

/* Every child of member pid, from each of its threads' children list. */
static void visit(struct walk *w, pid_t pid, int pid_fd, int depth) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  /* The thread ids first, the directory closed, then each children list:
   * one descriptor at a time below the pidfds on the path. We have one
   * thread: our own list needs no directory. */
  pid_t *tids = NULL;
  size_t ntids = 0;
  if (pid == w->self) {
    tids = malloc(sizeof *tids);
    if (tids) tids[ntids++] = pid;
  } else {
    DIR *d = opendir(path);
    if (!d) {
      if (errno != ENOENT && errno != ESRCH) missed(w, errno);
      return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      pid_t *more = realloc(tids, (ntids + 1) * sizeof *tids);
      if (!more) {
        missed(w, ENOMEM);
        break;
      }
      tids = more;
      tids[ntids++] = (pid_t)strtol(e->d_name, NULL, 10);
    }
    closedir(d);
  }
  if (!tids && pid == w->self) missed(w, ENOMEM);
  char *lists = NULL;
  size_t len = 0;
  for (size_t i = 0; i < ntids; i++) {
    char cpath[96];
    snprintf(cpath, sizeof cpath, "%s/%d/children", path, (int)tids[i]);
    char *list = slurp(cpath);
    if (!list) {
      if (errno != ENOENT && errno != ESRCH) missed(w, errno);
      continue;
    }
    size_t l = strlen(list);
    char *all = realloc(lists, len + l + 2);
    if (all) {
      lists = all;
      memcpy(lists + len, list, l);
      len += l;
      lists[len++] = ' ';
      lists[len] = 0;
    } else {
      missed(w, ENOMEM);
    }
    free(list);
  }
  free(tids);
  for (char *p = lists, *end; p && *p; p = end) {
    long c = strtol(p, &end, 10);
    if (end == p) break;
    take_child(w, pid, pid_fd, (pid_t)c, depth);
  }
  free(lists);
}

/* One round: signal what is found from us down; how many are left. */
static size_t round_of(struct run *r, struct walk *w, int sig) {
  w->sig = sig;
  w->live = 0;
  w->unreachable = 0;
  w->program = r->alive ? r->program : 0;
  w->program_seen = 0;
  visit(w, r->self, -1, 0);
  /* Not even our own children list could be read: the program, unreaped,
   * is still ours by pid. */
  if (w->program && !w->program_seen) take_member(w, w->program, -1, START_UNKNOWN);
  return w->live + w->unreachable;
}

void terminate_tree(struct run *r, long long grace_ms) {
  struct walk w = {.sig = SIGTERM, .t = NULL, .n = 0, .cap = 0, .live = 0, .unreachable = 0,
                   .self = r->self, .blind = 0, .program = 0, .program_seen = 0};
  long long deadline = now_ms() + grace_ms;
  for (;;) {
    if (round_of(r, &w, SIGTERM) == 0) goto done;
    long long left = deadline - now_ms();
    if (left <= 0) break;
    pump(r, left < POLL_MS ? left : POLL_MS);
  }
  long long kill_deadline = now_ms() + KILL_WAIT_MS;
  for (;;) {
    if (round_of(r, &w, SIGKILL) == 0) goto done;
    if (now_ms() >= kill_deadline) break;
    pump(r, POLL_MS / 4);
  }
  /* Given up: say so when part of the tree could not even be looked at
   * (what can be looked at was sent SIGKILL, every round). */
  if (w.unreachable)
    say(LABEL_WARN, "Could not look at every descendant (", errno_text(w.blind), "): some may be left running", NULL);
done:
  free(w.t);
}
