/*
 * supervise.c: the fast path's run, as src/init/supervisor.ts runs it: set up
 * (prctl), start the program in its own process group, forward signals to
 * it (or its group, -g) until it is reaped, reap every child, the --timeout
 * deadline (terminate the tree, exit 124), the cleanup of what it leaves
 * behind, the exit code (its status, 128+N for signal N, -e remapped).
 *
 * Every signal stays blocked and is taken with sigtimedwait(2) (tini's
 * loop): nothing here runs in a signal handler, and a signal that came
 * before the program existed is forwarded once it does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend.h"
#include "exits.gen.h"

/* The synchronous faults, and SIGABRT: about the front end itself, never
 * forwarded; they act by default, as in tini and on the Node path. */
static const int FAULTS[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT};

static uint64_t bit(int sig) { return 1ULL << (sig - 1); }

/* What the child reports through the close-on-exec pipe when it fails. */
struct report {
  int step; /* 1: setpgid, 3: exec (the addon's numbering) */
  int err;
};
#define STEP_SETPGID 1
#define STEP_EXEC 3

static int retryable(int err) {
  return err == ENOENT || err == ESTALE || err == ENOTDIR || err == ENODEV || err == ETIMEDOUT;
}

/* The kernel's struct for prlimit64(2): the child calls it raw (libc's
 * setrlimit may synchronise threads, which a CLONE_VM child must not). */
struct rlimit64_raw {
  uint64_t cur, max;
};

/* The tree walk needs a descriptor per level of the tree it walks, and one
 * more: below this many we raise our soft limit toward the hard one, and
 * the program gets the limit we were given. */
#define NOFILE_ROOM 1024

static int raise_nofile(struct rlimit64_raw *given) {
  struct rlimit64_raw more;
  if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, given) < 0 || given->cur >= NOFILE_ROOM || given->cur >= given->max) return 0;
  more.cur = given->max < NOFILE_ROOM ? given->max : NOFILE_ROOM;
  more.max = given->max;
  return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &more, NULL) == 0;
}

/* What the child needs, all prepared by the parent: with CLONE_VM the child
 * shares our memory until it execs, so it may not allocate. */
struct job {
  const struct invocation *inv;
  char **program;
  char **sh;    /* {"/bin/sh", <candidate>, ARGS..., NULL} for ENOEXEC */
  int report_fd;
  struct report rep; /* the same report, through the shared memory */
  const struct sigaction *chld; /* SIGCHLD as we got it, when we had to change it */
  const struct rlimit64_raw *nofile; /* RLIMIT_NOFILE as we got it, when we raised ours */
};

/* execvp(3) as the addon's child does it (native/spawn.c, glibc's
 * posix/execvpe.c): a name with a slash as it is, else each PATH entry (an
 * empty one is the current directory); ENOEXEC runs the file under /bin/sh;
 * EACCES is reported if no later candidate works. Returns the errno. */
static int exec_program(struct job *j) {
  char **argv = j->program;
  const char *file = argv[0];
  size_t flen = strlen(file);
  if (flen == 0) return ENOENT;
  char buf[PATH_MAX];
  const char *path = NULL;
  if (!strchr(file, '/')) {
    path = getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    if (flen > NAME_MAX) return ENAMETOOLONG;
  }
  int err = ENOENT, eacces = 0;
  for (const char *p = path;;) {
    const char *cand = file;
    const char *end = NULL;
    if (p) {
      end = strchrnul(p, ':');
      size_t dlen = (size_t)(end - p);
      cand = NULL;
      if (dlen + 1 + flen < PATH_MAX) {
        memcpy(buf, p, dlen);
        size_t at = dlen;
        if (dlen) buf[at++] = '/';
        memcpy(buf + at, file, flen + 1);
        cand = buf;
      }
    }
    if (cand) {
      execve(cand, argv, j->inv->envp);
      err = errno;
      if (err == ENOEXEC) {
        j->sh[1] = (char *)cand;
        execve(j->sh[0], j->sh, j->inv->envp);
        err = errno;
      }
      if (err == EACCES) eacces = 1;
      else if (!retryable(err)) break;
    }
    if (!p || !*end) break;
    p = end + 1;
  }
  return eacces && retryable(err) ? EACCES : err;
}

/* The child, between clone(2) and execve(2): its own process group, the
 * mask and dispositions we inherited (an ignored signal stays ignored for
 * the program, as tini does), exec. System calls and plain memory only. */
static int child(void *arg) {
  struct job *j = arg;
  struct report r = {STEP_SETPGID, 0};
  if (setpgid(0, 0) < 0) {
    r.err = errno;
  } else {
    if (j->chld) sigaction(SIGCHLD, j->chld, NULL);
    /* Lowering a soft limit cannot fail. */
    if (j->nofile) syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, j->nofile, NULL);
    sigmask_set(SIG_SETMASK, &j->inv->mask, NULL);
    r.step = STEP_EXEC;
    r.err = exec_program(j);
    uint64_t all = ~0ULL;
    sigmask_set(SIG_SETMASK, &all, NULL);
  }
  j->rep = r;
  while (write(j->report_fd, &r, sizeof r) < 0 && errno == EINTR) {}
  _exit(127);
}

/* CLONE_VM|CLONE_VFORK, as posix_spawn(3) and the addon do: no copy of our
 * page tables, and we sleep until the child has exec'd (or failed). */
static char child_stack[64 * 1024] __attribute__((aligned(16)));

static pid_t spawn(struct job *j) {
  return clone(child, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, j);
}

static void reap_all(struct run *r) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    if (pid == r->program && r->alive) {
      r->alive = 0;
      r->status = status;
    }
  }
}

/* As native/handlers.c's send_to_child and src/init/events.ts's warnings: never
 * to a reaped program (its pid, its group's id, may belong to a stranger). */
static void forward(struct run *r, int sig) {
  int err = ESRCH;
  if (r->alive) err = kill(r->cfg->to_group ? -r->program : r->program, sig) == 0 ? 0 : errno;
  if (err == ESRCH) {
    say(LABEL_WARN, "Child was dead when forwarding signal '", signal_name(sig), "'", NULL);
  } else if (err != 0) {
    char num[16];
    int n = 0;
    char tmp[16];
    do { tmp[n++] = (char)('0' + err % 10); err /= 10; } while (err);
    for (int i = 0; i < n; i++) num[i] = tmp[n - 1 - i];
    num[n] = 0;
    say(LABEL_WARN, "Forwarding signal '", signal_name(sig), "' failed: errno ", num, NULL);
  }
}

static uint64_t wait_set;

void pump(struct run *r, long long ms) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int sig = sig_timedwait(&wait_set, &si, ms);
  if (sig <= 0) return; /* EAGAIN: the time is up; EINTR */
  if (sig == SIGCHLD) {
    reap_all(r);
    return;
  }
  int policy = signal_policy(sig);
  /* SIGPIPE/SIGXFSZ the kernel raised on us for a write of ours. */
  if ((policy & SIG_OWN_ACT) && si.si_code == SI_USER && si.si_pid == r->self) return;
  if (policy & SIG_FORWARDED) forward(r, sig);
  /* The rest (SIGTTIN, SIGTTOU, libc's 32 and 33) are dropped, as the Node
   * path ignores them. */
}

static int has_children(void) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

static int exit_code(const struct run *r) {
  int code = WIFSIGNALED(r->status) ? 128 + WTERMSIG(r->status) : WEXITSTATUS(r->status);
  return r->cfg->remap[code & 0xff] ? 0 : code;
}

static void format_duration(long long ms, char *out) {
  int s = ms % 1000 == 0;
  unsigned long long v = (unsigned long long)(s ? ms / 1000 : ms);
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *out++ = tmp[--n];
  strcpy(out, s ? "s" : "ms");
}

int supervise(const struct fast_config *cfg, const struct invocation *inv) {
  struct run r = {.cfg = cfg, .self = getpid(), .program = 0, .alive = 0, .status = 0};
  /* Set-up that may fail: nothing is started yet, so Node runs it and
   * reports the failure in its words. */
  if ((cfg->pdeathsig && prctl(PR_SET_PDEATHSIG, (unsigned long)cfg->pdeathsig, 0, 0, 0) < 0) ||
      prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    hand_over(inv);
    return EXIT_USAGE;
  }
  struct rlimit64_raw nofile;
  int nofile_raised = raise_nofile(&nofile);
  wait_set = ~0ULL;
  for (size_t i = 0; i < sizeof FAULTS / sizeof FAULTS[0]; i++) wait_set &= ~bit(FAULTS[i]);
  sigmask_set(SIG_SETMASK, &wait_set, NULL);
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0) pfd[0] = pfd[1] = -1;
  size_t n = 0;
  while (cfg->program[n]) n++;
  char **sh = calloc(n + 2, sizeof(char *));
  if (!sh) {
    say(LABEL_FATAL, "cannot start ", cfg->program[0], ": malloc: ", errno_text(ENOMEM), NULL);
    return EXIT_USAGE;
  }
  sh[0] = (char *)"/bin/sh";
  for (size_t i = 1; i < n; i++) sh[i + 1] = cfg->program[i];
  /* An ignored SIGCHLD (or SA_NOCLDWAIT) given to us would make the kernel
   * reap our children itself, and the program's status would be lost: we
   * take it back to the default, and the program gets it as we did. */
  struct sigaction chld;
  int chld_changed = 0;
  if (sigaction(SIGCHLD, NULL, &chld) == 0 && (chld.sa_handler == SIG_IGN || (chld.sa_flags & SA_NOCLDWAIT))) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    chld_changed = sigaction(SIGCHLD, &dfl, NULL) == 0;
  }
  struct job job = {.inv = inv, .program = cfg->program, .sh = sh, .report_fd = pfd[1], .rep = {0, 0},
                    .chld = chld_changed ? &chld : NULL, .nofile = nofile_raised ? &nofile : NULL};
  long long start = now_ms();
  pid_t pid = spawn(&job);
  if (pid < 0) {
    int err = errno;
    say(LABEL_FATAL, "cannot start ", cfg->program[0], ": clone: ", errno_text(err),
        err == EAGAIN ? " (no process can be created: pids cgroup full, or RLIMIT_NPROC?)" : "", NULL);
    return EXIT_USAGE;
  }
  r.program = pid;
  r.alive = 1;
  /* The pipe: EOF once the child exec'd. It is what waits for the exec where
   * CLONE_VM|CLONE_VFORK is emulated by a plain fork (qemu-user); without a
   * descriptor to spare, the shared memory alone tells. */
  struct report rep = job.rep;
  if (pfd[0] >= 0) {
    close(pfd[1]);
    ssize_t n;
    while ((n = read(pfd[0], &rep, sizeof rep)) < 0 && errno == EINTR) {}
    close(pfd[0]);
    if (n != (ssize_t)sizeof rep) rep.step = 0;
  }
  if (rep.step != 0) {
    /* src/init/supervisor.ts: 127 when the program was not found, else 126. */
    if (rep.step == STEP_EXEC) say(LABEL_FATAL, "exec ", cfg->program[0], " failed: ", errno_text(rep.err), NULL);
    else say(LABEL_FATAL, "setpgid failed: ", errno_text(rep.err), NULL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return rep.step == STEP_EXEC && (rep.err == ENOENT || rep.err == ENOTDIR) ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
  }
  long long deadline = cfg->timeout_ms ? start + cfg->timeout_ms : 0;
  int fired = 0;
  while (r.alive) {
    long long left = deadline ? deadline - now_ms() : -1;
    if (deadline && left <= 0) {
      fired = 1;
      break;
    }
    pump(&r, left);
  }
  if (fired) {
    char d[32];
    format_duration(cfg->timeout_ms, d);
    say(LABEL_WARN, "Program still running after ", d, ": terminating it and its descendants", NULL);
    terminate_tree(&r, cfg->grace_ms);
    while (r.alive) pump(&r, -1);
    reap_all(&r);
    return EXIT_TIMEOUT;
  }
  reap_all(&r);
  /* As a subreaper with no child left, no descendant is left. */
  if (cfg->cleanup && has_children()) terminate_tree(&r, cfg->grace_ms);
  reap_all(&r);
  return exit_code(&r);
}
