/*
 * log_writer.c: the thread that writes log lines to stderr, and its N-API
 * calls logStart/logWrite/logFlush (JS thread; never reached from a handler).
 */
#define _GNU_SOURCE
#include "log_writer.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "exports.h"
#include "napi_util.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the log writer thread ---------------------------------------------- */

/* Log lines go to stderr from one thread of ours, started during set-up,
 * before the program exists. Why a thread of our own and
 * not libuv's pool (fs.write) or a write on the loop thread:
 *  - the pool is created on first use, after the program runs, when the pids
 *    cgroup may be full: libuv abort()s when uv_thread_create fails, and
 *    UV_THREADPOOL_SIZE in the image's environment sizes it (64 -> 71
 *    threads, each a pid);
 *  - a write(2) on the loop thread blocks the loop while nobody reads stderr,
 *    and the loop is what notices the program's exit;
 *  - O_NONBLOCK cannot be set on fd 2: the file description is shared with
 *    the program.
 * So: one thread, created here or never (uv_thread_create returns the error,
 * EAGAIN when no pid is free: one clear line and no program), a bounded byte
 * ring under a mutex (JS thread and this thread only, never a signal
 * handler), lines that do not fit are refused and JS counts them. The thread
 * blocks every signal: a blocking write is never interrupted, and handlers
 * run on the other threads. uv_* rather than pthread_*: Node exports libuv,
 * and pthread_create would raise the addon's glibc floor to 2.34. */
#define LOG_CAP (256 * 1024)
static char log_ring[LOG_CAP];
static size_t log_head, log_len; /* under log_mu */
static int log_busy, log_broken, log_started;
static int log_fd = 2;
static uv_mutex_t log_mu;
static uv_cond_t log_cv; /* "data queued" and "drained": broadcast */
static uv_thread_t log_tid;

static void log_thread(void *arg) {
  (void)arg;
  prctl(PR_SET_NAME, "tini-ts:log", 0, 0, 0);
  static char chunk[16384];
  uv_mutex_lock(&log_mu);
  for (;;) {
    while (log_len == 0) uv_cond_wait(&log_cv, &log_mu);
    size_t n = 0;
    while (n < sizeof chunk && log_len > 0) {
      chunk[n++] = log_ring[log_head];
      log_head = (log_head + 1) % LOG_CAP;
      log_len--;
    }
    log_busy = 1;
    uv_mutex_unlock(&log_mu);
    size_t off = 0;
    int broken = 0;
    while (off < n) {
      ssize_t w = write(log_fd, chunk + off, n - off);
      if (w > 0) {
        off += (size_t)w;
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        /* someone made the shared stderr non-blocking: wait for room */
        struct pollfd pfd = {log_fd, POLLOUT, 0};
        poll(&pfd, 1, 100);
      } else {
        broken = 1; /* EPIPE, EBADF, ENOSPC...: nobody is listening */
        break;
      }
    }
    uv_mutex_lock(&log_mu);
    log_busy = 0;
    if (broken) {
      log_broken = 1;
      log_len = 0;
    }
    uv_cond_broadcast(&log_cv);
    if (broken) break;
  }
  uv_mutex_unlock(&log_mu);
}

/* logStart(fd): start the writer thread. 0, or the errno it failed with. */
napi_value js_log_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t fd;
  if (!arg_int(env, argc, argv, 0, 0, INT32_MAX, "logStart(fd: number)", "fd", &fd)) return NULL;
  if (log_started) return num(env, 0);
  log_fd = (int)fd;
  if (uv_mutex_init(&log_mu) != 0 || uv_cond_init(&log_cv) != 0) return num(env, ENOMEM);
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old); /* the thread inherits this mask */
  uv_thread_options_t opts;
  opts.flags = UV_THREAD_HAS_STACK_SIZE;
  opts.stack_size = 64 * 1024; /* a small stack: RLIMIT_AS, not pids, is what it costs */
  int rc = uv_thread_create_ex(&log_tid, &opts, log_thread, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    uv_cond_destroy(&log_cv);
    uv_mutex_destroy(&log_mu);
    return num(env, -rc); /* libuv errors are negated errnos */
  }
  log_started = 1;
  return num(env, 0);
}

/* Appending lines from C (events.c formats reap lines itself): open a batch,
 * put lines while they fit, close it (one wake-up of the writer for the
 * batch). JS thread only, like logWrite. */
int log_batch_begin(void) {
  if (!log_started) return 0;
  uv_mutex_lock(&log_mu);
  if (log_broken) {
    uv_mutex_unlock(&log_mu);
    return 0;
  }
  return 1;
}

/* Under the batch's lock: 1 if the line was queued, 0 if it does not fit. */
int log_batch_put(const char *s, size_t len) {
  if (log_len + len > LOG_CAP) return 0;
  size_t tail = (log_head + log_len) % LOG_CAP;
  size_t first = LOG_CAP - tail < len ? LOG_CAP - tail : len;
  memcpy(log_ring + tail, s, first);
  memcpy(log_ring, s + first, len - first);
  log_len += len;
  return 1;
}

void log_batch_end(int queued) {
  if (queued) uv_cond_broadcast(&log_cv);
  uv_mutex_unlock(&log_mu);
}

/* logWrite(text): queue it; false if it does not fit (or stderr is gone). */
napi_value js_log_write(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t len = 0;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_string || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok)
    return type_error(env, "logWrite(text: string)", "text must be a string");
  bool ok = false;
  char *tmp = log_started && len > 0 ? malloc(len + 1) : NULL;
  if (tmp) {
    napi_get_value_string_utf8(env, argv[0], tmp, len + 1, &len);
    uv_mutex_lock(&log_mu);
    if (!log_broken && log_len + len <= LOG_CAP) {
      size_t tail = (log_head + log_len) % LOG_CAP;
      for (size_t i = 0; i < len; i++) log_ring[(tail + i) % LOG_CAP] = tmp[i];
      log_len += len;
      ok = true;
      uv_cond_broadcast(&log_cv);
    }
    uv_mutex_unlock(&log_mu);
    free(tmp);
  }
  napi_get_boolean(env, ok, &r);
  return r;
}

/* logFlush(ms): wait until everything queued is written, stderr broke, or
 * ms passed (blocks the loop: only called on the way out, when the handlers
 * still reap and forward on their own). true if all was written. */
napi_value js_log_flush(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t ms;
  if (!arg_int(env, argc, argv, 0, 0, INT32_MAX, "logFlush(ms: number)", "ms", &ms)) return NULL;
  bool done = true;
  if (log_started) {
    int64_t deadline = now_ns() + (int64_t)ms * 1000000;
    uv_mutex_lock(&log_mu);
    while ((log_len > 0 || log_busy) && !log_broken) {
      int64_t left = deadline - now_ns();
      if (left <= 0 || uv_cond_timedwait(&log_cv, &log_mu, (uint64_t)left) != 0) break;
    }
    done = (log_len == 0 && !log_busy) || log_broken;
    uv_mutex_unlock(&log_mu);
  }
  napi_get_boolean(env, done, &r);
  return r;
}

