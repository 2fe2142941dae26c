/*
 * wake.c: waking JS when a signal handler recorded something, and the only
 * code that touches the wake-up's state: a uv_async_t on Node's loop, the
 * batching gate and its timer, the JS callback.
 *
 * The handlers' side (wake_js, wake_js_lazy) is async-signal-safe and runs
 * on any thread; the rest runs on the loop thread (N-API glue): onWake()
 * starts it, stopWake() ends it.
 */
#include "wake.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

#include "events.h"
#include "exports.h"
#include "napi_util.h"
#include "signal_safe.h"

static uv_async_t wake_async;
static int wake_ready; /* 1 once wake_async is initialised; atomic */
/* 1 while a wake for orphan reaps is pending or its batching window runs:
 * further reaps in that window add to the batch, no wake. Atomic. */
static int wake_gate;

static napi_env wake_env;
static napi_ref wake_cb;
static napi_async_context wake_ctx;

/* Async-signal-safe: uv_async_send is documented as safe to call from a
 * signal handler (libuv, uv_async_t); libuv folds many sends into one call
 * of the callback on the loop thread. */
void wake_js(void) {
  if (LOAD(&wake_ready)) uv_async_send(&wake_async);
}

/* The reaps themselves are never delayed: they are done already; only the
 * wake-up waits (on_batch_timer opens the gate again).
 * Async-signal-safe: atomics, uv_async_send. */
void wake_js_lazy(void) {
  if (LOAD(&wake_ready) && XCHG(&wake_gate, 1) == 0) uv_async_send(&wake_async);
}

/* Orphan reaps to log are batched: the first wakes the loop, and the reaps
 * of the next BATCH_MS join it (wake_gate stays shut until the window ends
 * with nothing new). In an orphan storm this is one wake-up of the loop and
 * one write of the log per window instead of one per orphan. The reaps
 * themselves are done in the handler, never delayed; the program's exit and
 * signals wake the loop at once. */
#define BATCH_MS 5
static uv_timer_t batch_timer;

/* The window's clock. A libuv timer would make every sleep of the loop an
 * epoll_pwait with a timeout, and in a storm each SIGCHLD interrupts that
 * sleep: the kernel then arms and cancels a high-resolution timer per
 * orphan, which in a VM costs as much as the reap (16 us per orphan with -w,
 * measured). A timerfd is armed once per window and the loop sleeps without
 * a timeout. Made on the first window, after the spawn, so it takes no
 * descriptor that start-up needs; without one (EMFILE), the libuv timer. */
static int batch_fd = -1;
static int closing_fd = -1; /* batch_poll is closing; its fd is closed when it has */
static uv_poll_t batch_poll;

static void on_batch_timer(uv_timer_t *t);

static void batch_fd_closed(uv_handle_t *h) {
  (void)h;
  close(closing_fd);
  closing_fd = -1;
}

/* Stop using the timerfd: later windows run on the libuv timer (or a new
 * timerfd once this one is closed). */
static void batch_fd_close(void) {
  if (batch_fd < 0) return;
  closing_fd = batch_fd;
  batch_fd = -1;
  uv_close((uv_handle_t *)&batch_poll, batch_fd_closed);
}

static void batch_fd_ready(uv_poll_t *h, int status, int events) {
  (void)h;
  (void)events;
  if (status < 0) {
    batch_fd_close(); /* libuv stopped the poll: nothing would read the timerfd */
  } else {
    uint64_t expirations;
    while (read(batch_fd, &expirations, sizeof expirations) < 0 && errno == EINTR) {
    }
  }
  on_batch_timer(&batch_timer);
}

static int batch_fd_open(void) {
  if (batch_fd >= 0) return 1;
  if (closing_fd >= 0) return 0;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return 0;
  if (uv_poll_init(uv_handle_get_loop((uv_handle_t *)&batch_timer), &batch_poll, fd) != 0) {
    close(fd);
    return 0;
  }
  batch_fd = fd;
  uv_poll_start(&batch_poll, UV_READABLE, batch_fd_ready);
  uv_unref((uv_handle_t *)&batch_poll); /* the wake-up's async handle keeps the loop alive */
  return 1;
}

/* Start a window: BATCH_MS from now, on the timerfd, else the libuv timer.
 * Not once stopWake() ran (JS may call it from within handle_events). */
static void window_start(void) {
  if (!LOAD(&wake_ready)) return;
  if (batch_fd_open()) {
    struct itimerspec its = {{0, 0}, {0, BATCH_MS * 1000000L}};
    if (timerfd_settime(batch_fd, 0, &its, NULL) == 0) return;
  }
  uv_timer_start(&batch_timer, on_batch_timer, BATCH_MS, 0);
}

static int window_running(void) {
  if (uv_is_active((uv_handle_t *)&batch_timer)) return 1;
  struct itimerspec its;
  return batch_fd >= 0 && timerfd_gettime(batch_fd, &its) == 0 && (its.it_value.tv_sec || its.it_value.tv_nsec);
}

/* What the handlers recorded: reap lines written here (events.c), JS called
 * only when something is left for it. The count of events seen. */
static int handle_events(void) {
  int n = drain_reap_lines();
  if (!events_pending()) return n;
  napi_env env = wake_env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return n;
  napi_value cb, recv, res;
  napi_get_reference_value(env, wake_cb, &cb);
  napi_get_global(env, &recv);
  if (napi_make_callback(env, wake_ctx, recv, cb, 0, NULL, &res) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err); /* to process 'uncaughtException' */
  }
  napi_close_handle_scope(env, scope);
  return n + 1;
}

/* The end of a batching window: what came meanwhile, then another window if
 * anything did; else the gate opens (and whatever slipped in between the last
 * look and the opening is taken now, as no handler woke us for it). */
static void on_batch_timer(uv_timer_t *t) {
  if (!LOAD(&wake_ready)) return;
  (void)t;
  if (handle_events() > 0) {
    window_start();
    return;
  }
  STORE(&wake_gate, 0);
  if (events_pending() && XCHG(&wake_gate, 1) == 0) {
    handle_events();
    window_start();
  }
}

/* Runs on the loop thread after any number of uv_async_send calls. */
static void on_wake_async(uv_async_t *h) {
  (void)h;
  handle_events();
  if (LOAD(&wake_ready) && LOAD(&wake_gate) && !window_running()) window_start();
}

/* onWake(fn): call fn on the loop whenever a handler recorded something. The
 * handle keeps the loop alive until stopWake(). */
napi_value js_on_wake(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_valuetype ft = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &ft);
  if (ft != napi_function) return type_error(env, "onWake(fn)", "fn must be a function");
  if (LOAD(&wake_ready)) return NULL;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_reference(env, argv[0], 1, &wake_cb));
  napi_value name;
  napi_create_string_utf8(env, "tini-ts:wake", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_async_init(env, NULL, name, &wake_ctx));
  wake_env = env;
  if (uv_async_init(loop, &wake_async, on_wake_async) != 0 || uv_timer_init(loop, &batch_timer) != 0) {
    napi_throw_error(env, NULL, "tini-ts native: uv_async_init failed");
    return NULL;
  }
  STORE(&wake_gate, 0);
  STORE(&wake_ready, 1);
  return NULL;
}

/* stopWake(): no more wake-ups; lets the loop end. */
napi_value js_stop_wake(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "stopWake()")) return NULL;
  if (XCHG(&wake_ready, 0)) {
    uv_close((uv_handle_t *)&wake_async, NULL);
    uv_close((uv_handle_t *)&batch_timer, NULL);
    batch_fd_close();
  }
  return NULL;
}
