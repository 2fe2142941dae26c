/*
 * handlers_js.c: the N-API glue of handlers.c (JS thread only): each call
 * checks its arguments, then hands them to the owner of the signals through
 * handlers.h. No handler state lives here.
 */
#include <errno.h>
#include <signal.h>

#include "exports.h"
#include "handlers.h"
#include "napi_util.h"

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
  handlers_set_policy((const int32_t *)data, group, det);
  return NULL;
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
  const char *failed = NULL;
  int err = handlers_install(fwd, nf, ign, ni, own, no, &failed);
  if (err) return throw_errno(env, failed, err);
  return NULL;
}

/* setReapEvents(on, nameOnly): on false = orphans reaped are only counted
 * (stats()), no event and no wake-up each; true (the default) = an event
 * each. nameOnly: of the details (setPolicy), only the name is read, not the
 * age. */
napi_value js_set_reap_events(napi_env env, napi_callback_info info) {
  ARGS(2);
  const char *usage = "setReapEvents(on: boolean, nameOnly: boolean)";
  bool on = false, name_only = false;
  if (argc < 2 || napi_get_value_bool(env, argv[0], &on) != napi_ok || napi_get_value_bool(env, argv[1], &name_only) != napi_ok)
    return type_error(env, usage, "on and nameOnly must be booleans");
  handlers_set_reap_events(on, name_only);
  return NULL;
}

/* releaseSignals(): for the modes that run no program (--help, --zombies,
 * --demo): every disposition back to what it was before installHandlers
 * (Node's own, and libuv may reap its children again), then the signals held
 * meanwhile are raised, so they act as if we had never caught them. */
napi_value js_release_signals(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "releaseSignals()")) return NULL;
  handlers_release();
  return NULL;
}

/* setJobControl(on): TS decided we run as a job of an interactive shell
 * (a shell runs us as a job). SIGCHLD then also reports the program stopping
 * (no SA_NOCLDSTOP, sigaction(2)), which the handlers act on. Off, the
 * handler is as installHandlers() set it: outside a terminal nothing changes. */
napi_value js_set_job_control(napi_env env, napi_callback_info info) {
  ARGS(1);
  bool on = false;
  if (!arg_bool(env, argc, argv, 0, "setJobControl(on: boolean)", "on", &on)) return NULL;
  int err = handlers_set_job_control(on);
  if (err) return throw_errno(env, "sigaction(SIGCHLD)", err);
  return NULL;
}

/* handlerIsOurs(sig): is the handler for sig still ours? (Node replaces it
 * when JS listens.) */
napi_value js_handler_is_ours(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t sig;
  if (!arg_int(env, argc, argv, 0, 1, MAX_SIG - 1, "handlerIsOurs(signal: number)", "signal", &sig)) return NULL;
  int ours = handler_is_ours((int)sig);
  if (ours < 0) return throw_errno(env, "sigaction", -ours);
  napi_value r;
  napi_get_boolean(env, ours, &r);
  return r;
}
