/*
 * spawn.h: starting the program: the parent's side (spawn.c), the child's
 * between clone and exec (child.c), and what passes between them. The N-API
 * entry is js_spawn (spawn_js.c, exports.h).
 */
#ifndef TINI_SPAWN_H
#define TINI_SPAWN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct spawn_request {
  char **argv, **envp;
  int new_group, take_tty, listen_pid;
  const int *keep;
  size_t nkeep;
};

struct spawn_outcome {
  pid_t pid;
  int failed_step; /* STEP_NONE: the exec worked */
  int failed_errno;
  const char *failed_call; /* when spawn_program returns an errno: what failed */
};

/* 0, or the errno of what failed before there was a child (clone: EAGAIN). */
int spawn_program(const struct spawn_request *req, struct spawn_outcome *out);

/* What the parent hands the child, prepared in full before clone (the child
 * allocates nothing), and what the child hands back on failure. */
struct spawn_job {
  char **argv;         /* the program's argv */
  char **envp;
  char **candidates;   /* paths to execve in turn (the PATH search, done in the parent) */
  int search_errno;    /* errno when there is no candidate at all (ENOENT, ENAMETOOLONG) */
  char **sh_argv;      /* {"/bin/sh", <candidate>, argv[1..], NULL}: for ENOEXEC, as execvp(3) */
  int new_group, take_tty;
  const int *keep;
  size_t nkeep;
  int report_fd;       /* close-on-exec pipe: the child writes {step, errno} before _exit; -1 = none */
  char *listen_pid_digits; /* where the child writes its pid, or NULL */
  int failed_step;     /* written by the child when it shares our memory (CLONE_VM) */
  int failed_errno;
};

/* What the child writes into report_fd when it fails (EOF: exec worked). */
struct spawn_report {
  int32_t step;
  int32_t err;
};

/* The child, between clone(2) and execve(2) (child.c): arg is the
 * spawn_job. Async-signal-safe. */
int child_after_clone(void *arg);

#endif
