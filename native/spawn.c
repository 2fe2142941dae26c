/*
 * spawn.c: the parent's side of starting the program (JS thread). Everything
 * the child needs is prepared here, allocations included: the PATH search
 * (so the child calls plain execve(2), which signal-safety(7) lists, and not
 * execvp(3), which it does not), the /bin/sh argv for a script without #!,
 * the environment. The child itself is child_after_clone in child.c.
 */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "constants.h"
#include "handlers.h"
#include "napi_util.h"
#include "proc_self.h"
#include "reap_gate.h"

extern char **environ;

/* The paths execvp(3) would try for file, in order (glibc posix/execvpe.c):
 * a name with a slash as it is; otherwise each entry of PATH (the init's
 * own, as execvp reads it; "/bin:/usr/bin" when unset, glibc's default), an
 * empty entry meaning the current directory. An empty name or one longer
 * than NAME_MAX has none: *err says why. */
static char **path_candidates(const char *file, int *err) {
  *err = ENOENT;
  size_t flen = strlen(file);
  if (flen == 0) return calloc(1, sizeof(char *));
  if (strchr(file, '/')) {
    char **one = calloc(2, sizeof(char *));
    if (one && !(one[0] = strdup(file))) { free(one); return NULL; }
    return one;
  }
  if (flen > NAME_MAX) {
    *err = ENAMETOOLONG;
    return calloc(1, sizeof(char *));
  }
  const char *path = getenv("PATH");
  if (!path) path = "/bin:/usr/bin";
  size_t n = 1;
  for (const char *p = path; *p; p++) n += *p == ':';
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  size_t k = 0;
  for (const char *p = path;; ) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    if (dlen + 1 + flen < PATH_MAX) { /* longer: glibc skips it too */
      char *c = malloc(dlen + 1 + flen + 1);
      if (!c) { free_array(out); return NULL; }
      memcpy(c, p, dlen);
      size_t at = dlen;
      if (dlen) c[at++] = '/';
      memcpy(c + at, file, flen + 1);
      out[k++] = c;
    }
    if (!*end) break;
    p = end + 1;
  }
  return out;
}

/* {"/bin/sh", <the candidate>, argv[1], ..., NULL}: what execvp(3) runs when
 * execve says ENOEXEC. Slot 1 is filled in by the child. */
static char **shell_argv(char **argv) {
  size_t n = 0;
  while (argv[n]) n++;
  char **sh = calloc(n + 2, sizeof(char *));
  if (!sh) return NULL;
  sh[0] = (char *)"/bin/sh";
  for (size_t i = 1; i < n; i++) sh[i + 1] = argv[i];
  return sh;
}

#define LISTEN_PID_EQ "LISTEN_PID="
#define LISTEN_PID_LEN (sizeof LISTEN_PID_EQ - 1)

/* Socket activation (sd_listen_fds(3)): the manager sets LISTEN_PID
 * to the pid it started, which is the init, and libsystemd in the program
 * ignores the fds unless LISTEN_PID is its own pid. So when the first
 * LISTEN_PID (the one getenv finds) names us, the program gets a copy of envp
 * with that entry in a buffer of ours, whose digits the child fills in with
 * its own pid (catatonit does the same with setenv after fork; a CLONE_VM
 * child may not allocate). Anything else: NULL, and envp passes as it is.
 * *slot gets the digits' address in the copy's buffer. */
static char **listen_pid_env(char **envp, char **slot) {
  size_t n = 0, at = (size_t)-1;
  for (; envp[n]; n++) {
    if (at == (size_t)-1 && strncmp(envp[n], LISTEN_PID_EQ, LISTEN_PID_LEN) == 0) at = n;
  }
  if (at == (size_t)-1) return NULL;
  const char *v = envp[at] + LISTEN_PID_LEN;
  unsigned long long val = 0;
  if (!*v) return NULL;
  for (; *v; v++) {
    if (*v < '0' || *v > '9' || val > 1000000000ULL) return NULL;
    val = val * 10 + (unsigned)(*v - '0');
  }
  if (val != (unsigned long long)getpid()) return NULL;
  char **copy = malloc((n + 1) * sizeof(char *));
  char *buf = malloc(LISTEN_PID_LEN + 24);
  if (!copy || !buf) {
    free(copy);
    free(buf);
    return NULL;
  }
  memcpy(copy, envp, (n + 1) * sizeof(char *));
  memcpy(buf, LISTEN_PID_EQ, LISTEN_PID_LEN);
  buf[LISTEN_PID_LEN] = 0;
  copy[at] = buf;
  *slot = buf + LISTEN_PID_LEN;
  return copy;
}

/* A close-on-exec pipe for the child's failure report, both ends above 2: a
 * closed stdin would otherwise hand fd 0 to the pipe, and the child clears
 * close-on-exec on 0-2. 0 or -1 (no descriptor free: the report then goes
 * through shared memory alone). */
static int report_pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) < 0) return -1;
  for (int i = 0; i < 2; i++) {
    if (fds[i] > 2) continue;
    int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    close(fds[i]);
    fds[i] = moved;
  }
  if (fds[0] < 0 || fds[1] < 0) {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    return -1;
  }
  return 0;
}

int spawn_program(const struct spawn_request *req, struct spawn_outcome *out) {
  memset(out, 0, sizeof *out);
  char *lp_slot = NULL;
  char **lp_env = req->listen_pid ? listen_pid_env(req->envp, &lp_slot) : NULL;
  int search_errno = 0;
  char **candidates = path_candidates(req->argv[0], &search_errno);
  char **sh = shell_argv(req->argv);
  /* The child's stack: it calls a few system calls, nothing that recurses. */
  size_t stack_size = 64 * 1024;
  void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  int err = 0;
  if (!candidates || !sh) err = ENOMEM, out->failed_call = "malloc";
  else if (stack == MAP_FAILED) err = errno, out->failed_call = "mmap";
  if (err) {
    if (stack != MAP_FAILED) munmap(stack, stack_size);
    free_array(candidates);
    free(sh);
    if (lp_env) { free(lp_slot - LISTEN_PID_LEN); free(lp_env); }
    return err;
  }
  int pfd[2] = {-1, -1};
  int have_pipe = report_pipe(pfd) == 0;
  struct spawn_job job = {
      .argv = req->argv, .envp = lp_env ? lp_env : req->envp, .candidates = candidates,
      .search_errno = search_errno, .sh_argv = sh, .new_group = req->new_group, .take_tty = req->take_tty,
      .keep = req->keep, .nkeep = req->nkeep, .report_fd = have_pipe ? pfd[1] : -1,
      .listen_pid_digits = lp_slot, .failed_step = STEP_NONE, .failed_errno = 0};
  /* Block everything on this thread: the child starts with all signals
   * blocked, so none runs a handler in the child before its own reset. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  /* A program that exits at once could be reaped by a SIGCHLD handler on
   * another thread before program_started names it, and its status would
   * never reach its slot: reaping waits while we spawn (reap_gate.c). */
  reap_hold();
  program_spawning(); /* the program's exit slot, empty */
  /* CLONE_VM|CLONE_VFORK, as posix_spawn does: no copy of Node's page tables
   * (fork of a ~45 MB process costs more than the rest of the spawn), and
   * this thread sleeps until the exec (or the child's _exit). */
  pid_t pid = clone(child_after_clone, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &job);
  int clone_err = errno;
  if (pid > 0) program_started(pid); /* the program is known before any reap */
  if (have_pipe) {
    /* EOF once the child exec'd or exited: its copy of the write end closes
     * then. Where CLONE_VM|CLONE_VFORK is emulated by a plain fork
     * (qemu-user), this read is what waits for the exec, and the report
     * comes through here, as the child's writes to job stay in its copy. */
    close(pfd[1]);
    struct spawn_report r;
    ssize_t n;
    while ((n = read(pfd[0], &r, sizeof r)) < 0 && errno == EINTR) {}
    close(pfd[0]);
    if (pid > 0 && n == (ssize_t)sizeof r) {
      job.failed_step = r.step;
      job.failed_errno = r.err;
    }
  }
  reap_release();
  if (pid > 0) program_deliver_held(); /* signals that arrived while starting go out now */
  sigprocmask(SIG_SETMASK, &old, NULL);
  munmap(stack, stack_size);
  free_array(candidates);
  free(sh);
  if (lp_env) { free(lp_slot - LISTEN_PID_LEN); free(lp_env); }
  if (pid < 0) {
    out->failed_call = "clone";
    return clone_err;
  }
  out->pid = pid;
  out->failed_call = NULL;
  out->failed_step = job.failed_step;
  out->failed_errno = job.failed_errno;
  return 0;
}
