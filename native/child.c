/*
 * child.c: the code the spawned child runs between clone(2) and execve(2),
 * and nothing else.
 *
 * The child shares the parent's memory (CLONE_VM) until it execs, so, as in a
 * signal handler (handlers.c), it may call only async-signal-safe functions
 * (signal-safety(7)): every function here is marked with the calls it makes,
 * and none allocates, locks, or uses stdio.
 */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "constants.h"
#include "signal_safe.h"

/* ---- the spawned child, between clone(2) and execve(2) -------------------- */

/* The child shares the parent's memory (CLONE_VM) but has its own handlers,
 * mask and descriptor table (no CLONE_SIGHAND, no CLONE_FILES), as in
 * posix_spawn. All it needs was prepared by the parent (spawn.c): the PATH
 * search's candidates, the /bin/sh argv, the environment.
 * Async-signal-safe: getpid, setpgid, tcsetpgrp, getpgrp, sigaction, fcntl,
 * sigemptyset, sigprocmask, execve, write, _exit, fmt_uint. */
int child_after_clone(void *arg) {
  struct spawn_job *job = arg;
  int step = STEP_NONE, err = 0;
  /* getpid(2) is a system call (glibc caches nothing since 2.25): this
   * child's pid, the one the program keeps after exec. */
  if (job->listen_pid_digits) fmt_uint(job->listen_pid_digits, (unsigned long)getpid());
  if (job->new_group) {
    step = STEP_SETPGID;
    if (setpgid(0, 0) < 0) goto fail;
    /* SIGTTOU is blocked here, so tcsetpgrp from a background group works
     * (tcsetpgrp(3)); done in the child so the program never runs in the
     * background (see tini's isolate_child). */
    if (job->take_tty) {
      step = STEP_TCSETPGRP;
      if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO) goto fail;
    }
  }
  /* Every disposition to default: exec keeps SIG_IGN (Node ignores SIGPIPE
   * and SIGXFSZ, TS has us ignore SIGTTIN/SIGTTOU); handlers reset anyway. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < MAX_SIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, NULL); /* EINVAL for glibc's internal 32/33: fine */
  }
  /* Node marks fds 0-15 close-on-exec at start: give the program its stdio
   * and the inherited descriptors TS chose. */
  for (long i = -3; i < (long)job->nkeep; i++) {
    int fd = i < 0 ? (int)i + 3 : job->keep[i];
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && (fl & FD_CLOEXEC)) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  step = STEP_EXEC;
  /* execvp(3)'s loop over the candidates the parent found (glibc
   * posix/execvpe.c): ENOEXEC runs the file under /bin/sh (a script without
   * #!, as tini's execvp does); EACCES is remembered and reported if no later
   * candidate works; ENOENT, ENOTDIR and the like try the next; any other
   * error ends the search. */
  int eacces = 0;
  err = job->search_errno;
  for (char **c = job->candidates; *c; c++) {
    execve(*c, job->argv, job->envp);
    err = errno;
    if (err == ENOEXEC) {
      job->sh_argv[1] = *c;
      execve(job->sh_argv[0], job->sh_argv, job->envp);
      err = errno;
    }
    if (err == EACCES) eacces = 1;
    else if (err != ENOENT && err != ESTALE && err != ENOTDIR && err != ENODEV && err != ETIMEDOUT) break;
  }
  if (eacces && (err == ENOENT || err == ESTALE || err == ENOTDIR || err == ENODEV || err == ETIMEDOUT)) err = EACCES;
  goto report;
fail:
  err = errno;
report:
  job->failed_errno = err;
  job->failed_step = step;
  if (job->report_fd >= 0) {
    struct spawn_report r = {step, err};
    /* 8 bytes < PIPE_BUF: written whole, or not at all (pipe(7)) */
    while (write(job->report_fd, &r, sizeof r) < 0 && errno == EINTR) {}
  }
  _exit(CHILD_EXEC_FAILED);
}
