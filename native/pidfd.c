/*
 * pidfd.c: signals tied to a process, not to a number (JS thread only).
 *
 * A pid is a number the kernel hands out again once its process is reaped;
 * a pidfd (pidfd_open(2), Linux 5.3) names one process for as long as the
 * descriptor is open, and pidfd_send_signal(2) (Linux 5.1) fails with ESRCH
 * once that process is reaped instead of reaching whoever got the number
 * next. src/init/tree-handles.ts decides what to open and when; this file only
 * makes the calls.
 *
 * Raw system calls: glibc wraps pidfd_open and pidfd_send_signal only since
 * 2.36, and the addon's floor is glibc 2.28 (Node 24's own). The numbers are
 * the same on x86-64 and arm64 (the generic table: 424 and 434).
 *
 * pidfdClose closes only descriptors pidfdOpen made: a bug in the caller
 * must not close one of the runtime's.
 */
#define _GNU_SOURCE
#include "exports.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "constants.h"
#include "napi_util.h"
#include "reap_gate.h"

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* The descriptors pidfdOpen returned and pidfdClose has not closed: one bit
 * per descriptor number, grown as needed. */
static unsigned char *opened;
static size_t opened_bytes;

static int is_ours(int fd) {
  return fd >= 0 && (size_t)fd / 8 < opened_bytes && (opened[fd / 8] >> (fd % 8)) & 1;
}

static int remember(int fd) {
  size_t need = (size_t)fd / 8 + 1;
  if (need > opened_bytes) {
    size_t n = need * 2;
    unsigned char *b = realloc(opened, n);
    if (!b) return ENOMEM;
    for (size_t i = opened_bytes; i < n; i++) b[i] = 0;
    opened = b;
    opened_bytes = n;
  }
  opened[fd / 8] |= (unsigned char)(1u << (fd % 8));
  return 0;
}

/* The arguments the signalling calls here share: a descriptor or a pid,
 * from lo up, then a signal number (0 asks only whether it would reach). 1,
 * or 0 after throwing a TypeError naming usage. */
static int target_and_signal(napi_env env, size_t argc, napi_value *argv, const char *usage, const char *target,
                             int64_t lo, int64_t *id, int64_t *sig) {
  return arg_int(env, argc, argv, 0, lo, INT_MAX, usage, target, id) &&
         arg_int(env, argc, argv, 1, 0, MAX_SIG - 1, usage, "signal", sig);
}

/* pidfdOpen(pid) -> a descriptor (>= 0), or -errno: ENOSYS (kernel before
 * 5.3, or a seccomp filter that says so), EPERM (a filter), ESRCH (no such
 * process), EMFILE. Close-on-exec (pidfds always are). */
napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t pid;
  if (!arg_int(env, argc, argv, 0, 1, INT_MAX, "pidfdOpen(pid: number)", "pid", &pid)) return NULL;
  int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (fd < 0) return num(env, -errno);
  int err = remember(fd);
  if (err) {
    close(fd);
    return num(env, -err);
  }
  return num(env, fd);
}

/* pidfdSignal(fd, signal) -> 0 or errno (ESRCH once the process is reaped;
 * a zombie still takes signal 0, as with kill(2)). */
napi_value js_pidfd_signal(napi_env env, napi_callback_info info) {
  ARGS(2);
  const char *usage = "pidfdSignal(fd: number, signal: number)";
  int64_t fd, sig;
  if (!target_and_signal(env, argc, argv, usage, "fd", 0, &fd, &sig)) return NULL;
  if (!is_ours((int)fd)) return type_error(env, usage, "fd must be a descriptor pidfdOpen returned");
  long r = syscall(SYS_pidfd_send_signal, (int)fd, (int)sig, NULL, 0);
  return num(env, r == 0 ? 0 : errno);
}

/* pidfdClose(fd) -> 0 or errno. */
napi_value js_pidfd_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  const char *usage = "pidfdClose(fd: number)";
  int64_t fd;
  if (!arg_int(env, argc, argv, 0, 0, INT_MAX, usage, "fd", &fd)) return NULL;
  if (!is_ours((int)fd)) return type_error(env, usage, "fd must be a descriptor pidfdOpen returned");
  opened[fd / 8] &= (unsigned char)~(1u << (fd % 8));
  /* close(2): the descriptor is gone even on EINTR on Linux; not retried. */
  return num(env, close((int)fd) == 0 ? 0 : errno);
}

/* killChild(pid, signal, group) -> 0 or errno: kill(pid) (or kill(-pid)
 * with group) only while pid names an unreaped child of ours, with reaping
 * held so that it stays one until the kill (reap_gate.c). ESRCH otherwise.
 * Signal 0 asks only whether it is still one. */
napi_value js_kill_child(napi_env env, napi_callback_info info) {
  ARGS(3);
  const char *usage = "killChild(pid: number, signal: number, group: boolean)";
  int64_t pid, sig;
  bool group;
  if (!target_and_signal(env, argc, argv, usage, "pid", 2, &pid, &sig)) return NULL;
  if (!arg_bool(env, argc, argv, 2, usage, "group", &group)) return NULL;
  /* pid 1 is refused (from 2): kill(-1) is every process we may signal. */
  return num(env, kill_own_child((pid_t)pid, (int)sig, group));
}

/* killGroup(pgid, signal) -> 0 or errno: kill(-pgid) only while an
 * unreaped child of ours is in that group (reap_gate.c says why that keeps
 * the number the group's). Signal 0 asks only whether one is. */
napi_value js_kill_group(napi_env env, napi_callback_info info) {
  ARGS(2);
  const char *usage = "killGroup(pgid: number, signal: number)";
  int64_t pgid, sig;
  if (!target_and_signal(env, argc, argv, usage, "pgid", 2, &pgid, &sig)) return NULL;
  return num(env, kill_own_group((pid_t)pgid, (int)sig));
}
