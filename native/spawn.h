/* spawn.h: starting the program (spawn.c), and its N-API entry (spawn_js.c). */
#ifndef TINI_SPAWN_H
#define TINI_SPAWN_H
#include <stddef.h>
#include <sys/types.h>
#include <node_api.h>

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
napi_value js_spawn(napi_env env, napi_callback_info info);

#endif
