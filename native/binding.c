/*
 * binding.c: the addon's module: its exports, the constants shared with
 * TypeScript, and the small calls that need no file of their own (N-API glue,
 * JS thread only).
 *
 * Mechanism only. TypeScript decides which signal goes where, what an exit
 * status means, when to give up and what to log; the addon carries those
 * decisions out where JavaScript cannot reach:
 *  - handlers.c: signal handlers that forward (kill(2)) and reap (waitpid(2))
 *    in the handler, so both go on while the event loop is busy or blocked;
 *    and the spawned child between clone and exec;
 *  - reap_gate.c: the spawn/reap handshake, and kills of a child by pid
 *    that cannot reach a stranger (reaping held across check and kill);
 *  - pidfd.c: signals tied to a process by a pidfd, not to its number;
 *  - spawn.c: starting the program (libuv reaps its own children with
 *    waitpid(pid), and a waitpid(-1) reaper would steal their statuses);
 *  - events.c, dispositions.c: the JS side of the handlers;
 *  - log_writer.c, fd_facts.c, proc_self.c: mechanism the handlers never reach.
 *
 * sigprocmask, not pthread_sigmask, throughout: the latter pulls GLIBC_2.32
 * into the addon, sigprocmask keeps it at 2.28 (Node 24's own floor). On
 * Linux both act on the calling thread only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispositions.h"
#include "events.h"
#include "fd_facts.h"
#include "handlers.h"
#include "log_writer.h"
#include "napi_util.h"
#include "pidfd.h"
#include "spawn.h"

/* setup(): facts JS needs (real-time range, clock ticks). */
static napi_value js_setup(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "setup()")) return NULL;
  self_pid = getpid();
  /* Node 24 names its main thread "MainThread", which is what ps and
   * /proc/1/comm then show for PID 1; name it for what it is. */
  prctl(PR_SET_NAME, "tini-ts", 0, 0, 0);
  napi_value r;
  napi_create_object(env, &r);
  set_num(env, r, "sigrtmin", SIGRTMIN);
  set_num(env, r, "sigrtmax", SIGRTMAX);
  set_num(env, r, "clockTicks", (double)sysconf(_SC_CLK_TCK));
  return r;
}

/* ---- waking JS: a uv_async_t on Node's loop ---- */

static napi_env wake_env;
static napi_ref wake_cb;
static napi_async_context wake_ctx;

/* Orphan reaps to log are batched: the first wakes the loop, and the reaps
 * of the next BATCH_MS join it (wake_gate stays shut until the window ends
 * with nothing new). In an orphan storm this is one wake-up of the loop and
 * one write of the log per window instead of one per orphan. The reaps
 * themselves are done in the handler, never delayed; the program's exit and
 * signals wake the loop at once. */
#define BATCH_MS 5
static uv_timer_t batch_timer;

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
  if (handle_events() > 0) {
    uv_timer_start(t, on_batch_timer, BATCH_MS, 0);
    return;
  }
  STORE(&wake_gate, 0);
  if (events_pending() && XCHG(&wake_gate, 1) == 0) {
    handle_events();
    uv_timer_start(t, on_batch_timer, BATCH_MS, 0);
  }
}

/* Runs on the loop thread after any number of uv_async_send calls. */
static void on_wake_async(uv_async_t *h) {
  (void)h;
  handle_events();
  if (LOAD(&wake_ready) && LOAD(&wake_gate) && !uv_is_active((uv_handle_t *)&batch_timer))
    uv_timer_start(&batch_timer, on_batch_timer, BATCH_MS, 0);
}

/* onWake(fn): call fn on the loop whenever a handler recorded something. The
 * handle keeps the loop alive until stopWake(). */
static napi_value js_on_wake(napi_env env, napi_callback_info info) {
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
static napi_value js_stop_wake(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "stopWake()")) return NULL;
  if (XCHG(&wake_ready, 0)) {
    uv_close((uv_handle_t *)&wake_async, NULL);
    uv_close((uv_handle_t *)&batch_timer, NULL);
  }
  return NULL;
}

/* kill(pid, sig) -> 0 or errno */
static napi_value js_kill(napi_env env, napi_callback_info info) {
  ARGS(2);
  /* pid 0 (our own group) and -1 (every process we may signal) are never
   * what the init means; a group is -pgid with pgid > 1. */
  const char *usage = "kill(pid: number, signal: number)";
  int64_t pid, sig;
  if (!arg_int(env, argc, argv, 0, -2147483647LL, 2147483647LL, usage, "pid", &pid)) return NULL;
  if (pid == 0 || pid == -1) return type_error(env, usage, "pid 0 and -1 are refused (the init's own group, every process)");
  if (!arg_int(env, argc, argv, 1, 0, MAX_SIG - 1, usage, "signal", &sig)) return NULL;
  int r = kill((pid_t)pid, (int)sig);
  return num(env, r == 0 ? 0 : errno);
}

/* prctl(2) wrappers. */
static napi_value js_set_subreaper(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "setSubreaper()")) return NULL;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return throw_errno(env, "prctl(PR_SET_CHILD_SUBREAPER)", errno);
  return NULL;
}

static napi_value js_is_subreaper(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "isSubreaper()")) return NULL;
  int bit = 0;
  napi_value r;
  if (prctl(PR_GET_CHILD_SUBREAPER, &bit, 0, 0, 0) < 0) bit = 0;
  napi_get_boolean(env, bit == 1, &r);
  return r;
}

/* childless(): true when this process has no child at all, alive or
 * zombie: waitid(2) fails with ECHILD exactly then. One system call, and no
 * /proc needed (reading every thread's /proc children file from JS cost
 * about 0.4 ms at the end of each run). WNOWAIT: nothing is reaped here. */
static napi_value js_childless(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "childless()")) return NULL;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc;
  do rc = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
  while (rc < 0 && errno == EINTR);
  napi_value r;
  napi_get_boolean(env, rc < 0 && errno == ECHILD, &r);
  return r;
}

static napi_value js_set_pdeathsig(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t sig;
  if (!arg_int(env, argc, argv, 0, 0, MAX_SIG - 1, "setParentDeathSignal(signal: number)", "signal", &sig)) return NULL;
  if (prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) < 0) return throw_errno(env, "prctl(PR_SET_PDEATHSIG)", errno);
  return NULL;
}

/* Terminal facts for the tty hand-off decision (made in TS, job-control.ts). */
static napi_value js_tty_info(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "ttyInfo()")) return NULL;
  napi_value r;
  napi_create_object(env, &r);
  set_num(env, r, "isatty", isatty(STDIN_FILENO));
  set_num(env, r, "foreground", tcgetpgrp(STDIN_FILENO));
  set_num(env, r, "pgrp", getpgrp());
  set_num(env, r, "sid", getsid(0));
  set_num(env, r, "parentSid", getsid(getppid()));
  return r;
}

/* giveTerminal(pgrp): make pgrp the terminal's foreground group again (the
 * init hands it back after the program ends; SIGTTOU is ignored, so this
 * works from the background, tcsetpgrp(3)). 0 or errno. */
static napi_value js_give_terminal(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t pgrp;
  if (!arg_int(env, argc, argv, 0, 1, 2147483647LL, "giveTerminal(pgrp: number)", "pgrp", &pgrp)) return NULL;
  int r = tcsetpgrp(STDIN_FILENO, (pid_t)pgrp);
  return num(env, r == 0 ? 0 : errno);
}

/* exitNow(code): _exit(2), for when process.exit() would hang: Node's exit
 * joins the libuv thread pool, and a pool thread blocked in write(2) on a
 * stderr pipe nobody reads never returns. PID 1 must still exit. */
static napi_value js_exit_now(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t code;
  if (!arg_int(env, argc, argv, 0, 0, 255, "exitNow(code: number)", "code", &code)) return NULL;
  _exit((int)code);
  return NULL;
}

/* The constants TypeScript must agree with (constants.h; checked against
 * NATIVE_CONSTANTS in src/runtime/native.ts by test/native/addon.test.ts). */
static napi_value constants(napi_env env) {
  static const char *const events[EVENT_COUNT] = EVENT_NAMES_INIT;
  static const char *const steps[STEP_COUNT] = STEP_NAMES_INIT;
  napi_value c, ev, st, er, s;
  napi_create_object(env, &c);
  napi_create_array(env, &ev);
  for (int i = 1; i < EVENT_COUNT; i++) {
    napi_create_string_utf8(env, events[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, ev, (uint32_t)(i - 1), s);
  }
  napi_set_named_property(env, c, "eventTypes", ev);
  napi_create_array(env, &st);
  for (int i = 1; i < STEP_COUNT; i++) {
    napi_create_string_utf8(env, steps[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, st, (uint32_t)(i - 1), s);
  }
  napi_set_named_property(env, c, "spawnSteps", st);
  set_num(env, c, "held", SIGNAL_HELD);
  set_num(env, c, "maxSignal", MAX_SIG - 1);
  napi_create_object(env, &er);
#define ERRNO(name) set_num(env, er, #name, name)
  ERRNO(EPERM); ERRNO(ENOENT); ERRNO(ESRCH); ERRNO(EAGAIN); ERRNO(EACCES); ERRNO(ENOTDIR); ERRNO(ENOTTY); ERRNO(EMFILE);
  ERRNO(ENOSYS);
#undef ERRNO
  napi_set_named_property(env, c, "errno", er);
  return c;
}

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      FN("setup", js_setup),
      FN("setPolicy", js_set_policy),
      FN("installHandlers", js_install),
      FN("handlerIsOurs", js_handler_is_ours),
      FN("releaseSignals", js_release_signals),
      FN("logStart", js_log_start),
      FN("logWrite", js_log_write),
      FN("logFlush", js_log_flush),
      FN("setJobControl", js_set_job_control),
      FN("spawn", js_spawn),
      FN("drain", js_drain),
      FN("reapNow", js_reap_now),
      FN("stats", js_stats),
      FN("kill", js_kill),
      FN("killChild", js_kill_child),
      FN("killGroup", js_kill_group),
      FN("pidfdOpen", js_pidfd_open),
      FN("pidfdSignal", js_pidfd_signal),
      FN("pidfdClose", js_pidfd_close),
      FN("setSubreaper", js_set_subreaper),
      FN("isSubreaper", js_is_subreaper),
      FN("childless", js_childless),
      FN("setParentDeathSignal", js_set_pdeathsig),
      FN("ttyInfo", js_tty_info),
      FN("giveTerminal", js_give_terminal),
      FN("exitNow", js_exit_now),
      FN("onWake", js_on_wake),
      FN("fdFacts", js_fd_facts),
      FN("stopWake", js_stop_wake),
      FN("setReapLines", js_set_reap_lines),
      FN("setReapEvents", js_set_reap_events),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_set_named_property(env, exports, "constants", constants(env));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
