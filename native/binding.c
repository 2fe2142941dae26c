/*
 * binding.c: the addon's module: its exports, the constants shared with
 * TypeScript, and the small calls that need no file of their own (N-API glue,
 * JS thread only).
 *
 * Mechanism only. TypeScript decides which signal goes where, what an exit
 * status means, when to give up and what to log; the addon carries those
 * decisions out where JavaScript cannot reach:
 *  - handlers.c: the one owner of the signals and of the handlers' state:
 *    handlers that forward (kill(2)) and reap (waitpid(2)) in the handler,
 *    so both go on while the event loop is busy or blocked; their install
 *    and release; beside it ring.c (events to JS), wake.c (waking the loop),
 *    job_control.c and zombie_stat.c (what the handlers call);
 *  - reap_gate.c: the spawn/reap handshake, and kills of a child by pid
 *    that cannot reach a stranger (reaping held across check and kill);
 *  - pidfd.c: signals tied to a process by a pidfd, not to its number;
 *  - spawn.c, child.c: starting the program (libuv reaps its own children
 *    with waitpid(pid), and a waitpid(-1) reaper would steal their statuses);
 *  - events.c, handlers_js.c: the JS side of the handlers;
 *  - log_writer.c, fd_facts.c, proc_self.c: mechanism the handlers never reach.
 * exports.h lists every call exported, by file.
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

#include "constants.h"
#include "exports.h"
#include "napi_util.h"

/* setup(): facts JS needs (real-time range, clock ticks). */
static napi_value js_setup(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "setup()")) return NULL;
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
