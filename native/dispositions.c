/*
 * dispositions.c: installing, changing and giving back the signal handlers of
 * handlers.c, and the policy they read (N-API glue, JS thread only).
 */
#include "dispositions.h"

#include <errno.h>
#include <string.h>

#include "handlers.h"
#include "napi_util.h"
#include "reap_gate.h"

/* setPolicy(map: Int32Array(65), toGroup, details) */
napi_value js_set_policy(napi_env env, napi_callback_info info) {
  ARGS(3);
  const char *usage = "setPolicy(map: Int32Array(65), toGroup: boolean, details: boolean)";
  napi_typedarray_type t;
  size_t len = 0;
  void *data = NULL;
  bool ta = false;
  if (argc >= 1) napi_is_typedarray(env, argv[0], &ta);
  if (!ta || napi_get_typedarray_info(env, argv[0], &t, &len, &data, NULL, NULL) != napi_ok ||
      t != napi_int32_array || len != MAX_SIG)
    return type_error(env, usage, "map must be an Int32Array of length 65");
  for (int i = 0; i < MAX_SIG; i++) {
    int32_t v = ((int32_t *)data)[i];
    if (v < 0 || v >= MAX_SIG) return type_error(env, usage, "map entries must be signal numbers 0..64");
  }
  bool group, det;
  if (!arg_bool(env, argc, argv, 1, usage, "toGroup", &group)) return NULL;
  if (!arg_bool(env, argc, argv, 2, usage, "details", &det)) return NULL;
  for (int i = 0; i < MAX_SIG; i++) STORE(&fwd_map[i], ((int32_t *)data)[i]);
  STORE(&to_group, group ? 1 : 0);
  STORE(&details, det ? 1 : 0);
  return NULL;
}

/* What each signal did before installHandlers, for releaseSignals(). */
static struct sigaction saved_sa[MAX_SIG];
static int saved_ok[MAX_SIG];

static int install(int sig, const struct sigaction *sa) {
  if (sig > 0 && sig < MAX_SIG && !saved_ok[sig]) {
    if (sigaction(sig, sa, &saved_sa[sig]) < 0) return -1;
    saved_ok[sig] = 1;
    return 0;
  }
  return sigaction(sig, sa, NULL);
}

/* installHandlers(forward: number[], ignore: number[], ownDrop: number[]):
 * on_signal for the signals to forward, on_sigchld (reaping) for SIGCHLD,
 * SIG_IGN for ignore; ownDrop names the forwarded signals to drop when the
 * kernel raised them on us for our own act (a write to a closed pipe). Which
 * signals go in which list is TypeScript's choice (src/init/signals.ts). */
napi_value js_install(napi_env env, napi_callback_info info) {
  ARGS(3);
  const char *usage = "installHandlers(forward: number[], ignore: number[], ownDrop: number[])";
  int fwd[MAX_SIG], ign[MAX_SIG], own[MAX_SIG];
  uint32_t nf = 0, ni = 0, no = 0;
  if (!arg_int_array(env, argc, argv, 0, 1, MAX_SIG - 1, MAX_SIG, usage, "forward", fwd, &nf)) return NULL;
  if (!arg_int_array(env, argc, argv, 1, 1, MAX_SIG - 1, MAX_SIG, usage, "ignore", ign, &ni)) return NULL;
  if (!arg_int_array(env, argc, argv, 2, 1, MAX_SIG - 1, MAX_SIG, usage, "ownDrop", own, &no)) return NULL;
  for (uint32_t i = 0; i < nf + ni; i++) {
    int v = i < nf ? fwd[i] : ign[i - nf];
    if (v == SIGKILL || v == SIGSTOP || v == SIGCHLD)
      return type_error(env, usage, "SIGKILL, SIGSTOP and SIGCHLD cannot be forwarded or ignored");
  }
  uint64_t mask = 0;
  for (uint32_t i = 0; i < no; i++) mask |= 1ULL << (own[i] - 1);
  STORE(&own_drop_mask, mask);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask); /* one handler at a time per thread */
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sa.sa_sigaction = on_signal;
  sigset_t unblock;
  sigemptyset(&unblock);
  for (uint32_t i = 0; i < nf; i++) {
    if (install(fwd[i], &sa) < 0) return throw_errno(env, "sigaction", errno);
    sigaddset(&unblock, fwd[i]);
  }
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  if (install(SIGCHLD, &sa) < 0) return throw_errno(env, "sigaction(SIGCHLD)", errno);
  sigaddset(&unblock, SIGCHLD);
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  for (uint32_t i = 0; i < ni; i++)
    if (install(ign[i], &ignore) < 0) return throw_errno(env, "sigaction(SIG_IGN)", errno);
  /* Unblock what we now handle, on this (the main) thread: Node's start-up
   * blocks SIGUSR1 on the main thread for its inspector's watchdog thread,
   * and with --disable-sigusr1 nothing ever unblocks it; every later thread
   * inherits the mask, so SIGUSR1 would stay pending forever. One that came
   * during start-up is delivered to our handler right here. */
  sigprocmask(SIG_UNBLOCK, &unblock, NULL);
  /* Orphans that died before the handler existed. */
  reap_gated();
  return NULL;
}

/* releaseSignals(): for the modes that run no program (--help, --zombies,
 * --demo): every disposition back to what it was before installHandlers
 * (Node's own, and libuv may reap its children again), then the signals held
 * meanwhile are raised, so they act as if we had never caught them. */
napi_value js_release_signals(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "releaseSignals()")) return NULL;
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  for (int sig = 1; sig < MAX_SIG; sig++) {
    if (!saved_ok[sig]) continue;
    sigaction(sig, &saved_sa[sig], NULL);
    saved_ok[sig] = 0;
  }
  uint64_t m = XCHG(&pending_mask, 0);
  for (int sig = 1; m && sig < MAX_SIG; sig++)
    if (m & (1ULL << (sig - 1))) raise(sig); /* delivered once unblocked below */
  sigprocmask(SIG_SETMASK, &old, NULL);
  return NULL;
}

/* setJobControl(on): TS decided we run as a job of an interactive shell
 * (a shell runs us as a job). SIGCHLD then also reports the program stopping (no
 * SA_NOCLDSTOP, sigaction(2)), which follow_program_stop() acts on. Off, the
 * handler is as installHandlers() set it: outside a terminal nothing changes. */
napi_value js_set_job_control(napi_env env, napi_callback_info info) {
  ARGS(1);
  bool on = false;
  if (!arg_bool(env, argc, argv, 0, "setJobControl(on: boolean)", "on", &on)) return NULL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask);
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | (on ? 0 : SA_NOCLDSTOP);
  STORE(&job_control, on ? 1 : 0);
  if (sigaction(SIGCHLD, &sa, NULL) < 0) return throw_errno(env, "sigaction(SIGCHLD)", errno);
  return NULL;
}

/* handlerIsOurs(sig): is the handler for sig still ours? (Node replaces it
 * when JS listens.) */
napi_value js_handler_is_ours(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t sig;
  if (!arg_int(env, argc, argv, 0, 1, MAX_SIG - 1, "handlerIsOurs(signal: number)", "signal", &sig)) return NULL;
  struct sigaction cur;
  napi_value r;
  if (sigaction((int)sig, NULL, &cur) < 0) return throw_errno(env, "sigaction", errno);
  bool ours = (cur.sa_flags & SA_SIGINFO) && (cur.sa_sigaction == on_signal || cur.sa_sigaction == on_sigchld);
  napi_get_boolean(env, ours, &r);
  return r;
}
