/*
 * spawn_js.c: spawn(options), the N-API entry of spawn.c (JS thread).
 *
 * spawn({ argv, env?, newGroup?, takeTty?, keepFds?, exactArgv?, listenPid? })
 *   argv: string[] (not empty); env: string[], or null/absent for the
 *   environment exactly as exec gave it to the init; keepFds lose
 *   close-on-exec in the child; exactArgv: argv's bytes from
 *   /proc/self/cmdline's tail; listenPid: a LISTEN_PID naming us names the
 *   program (socket activation). Booleans default to false.
 * -> { ok: true, pid, argvExact, envExact }
 *  | { ok: false, pid, step: 'setpgid' | 'tcsetpgrp' | 'exec', errno, message, argvExact, envExact }
 * Throws (with .errno) when there is no child at all (clone: EAGAIN).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "constants.h"
#include "exports.h"
#include "napi_util.h"
#include "proc_self.h"
#include "spawn.h"

extern char **environ;

static const char *const STEP_NAMES[STEP_COUNT] = STEP_NAMES_INIT;
static const char *const KEYS[] = {"argv", "env", "newGroup", "takeTty", "keepFds", "exactArgv", "listenPid"};
#define USAGE                                                                                              \
  "spawn({ argv: string[], env?: string[] | null, newGroup?: boolean, takeTty?: boolean, keepFds?: number[], " \
  "exactArgv?: boolean, listenPid?: boolean })"

static const char *spawn_step_name(int step) {
  return step > 0 && step < STEP_COUNT ? STEP_NAMES[step] : "";
}

/* An optional boolean property: absent (undefined) is false. */
static int opt_bool(napi_env env, napi_value o, const char *k, bool *out) {
  napi_value v = prop(env, o, k);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  *out = false;
  return t == napi_undefined || arg_bool(env, 1, &v, 0, USAGE, k, out);
}

/* Every key is one spawn knows: a misspelt option must not pass unnoticed. */
static int known_keys(napi_env env, napi_value o) {
  napi_value names;
  uint32_t n = 0;
  if (napi_get_property_names(env, o, &names) != napi_ok) return 0;
  napi_get_array_length(env, names, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value k;
    char key[32] = "";
    size_t len = 0;
    napi_get_element(env, names, i, &k);
    napi_get_value_string_utf8(env, k, key, sizeof key, &len);
    int ok = 0;
    for (size_t j = 0; j < sizeof KEYS / sizeof KEYS[0]; j++) ok |= strcmp(key, KEYS[j]) == 0;
    if (!ok) {
      char what[64];
      strcpy(what, "unknown option ");
      strncat(what, key, 40);
      type_error(env, USAGE, what);
      return 0;
    }
  }
  return 1;
}

napi_value js_spawn(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_valuetype ot = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &ot);
  bool is_array = false;
  if (argc >= 1) napi_is_array(env, argv[0], &is_array);
  if (ot != napi_object || is_array) return type_error(env, USAGE, "options must be an object");
  napi_value o = argv[0];
  if (!known_keys(env, o)) return NULL;
  napi_value a = prop(env, o, "argv"), e = prop(env, o, "env"), k = prop(env, o, "keepFds");
  uint32_t nargv = 0;
  if (!arg_array(env, 1, &a, 0, USAGE, "argv", &nargv)) return NULL;
  if (nargv == 0) return type_error(env, USAGE, "argv must not be empty");
  uint32_t nenv = 0;
  int own_env = !is_undefined_or_null(env, e);
  if (own_env && !arg_array(env, 1, &e, 0, USAGE, "env (or null)", &nenv)) return NULL;
  bool new_group, take_tty, exact, listen_pid;
  if (!opt_bool(env, o, "newGroup", &new_group) || !opt_bool(env, o, "takeTty", &take_tty) ||
      !opt_bool(env, o, "exactArgv", &exact) || !opt_bool(env, o, "listenPid", &listen_pid))
    return NULL;
  uint32_t nkeep = 0;
  int *keep = NULL;
  if (!is_undefined_or_null(env, k)) {
    if (!arg_array(env, 1, &k, 0, USAGE, "keepFds", &nkeep)) return NULL;
    keep = calloc(nkeep + 1, sizeof(int));
    if (!keep) return throw_errno(env, "calloc", ENOMEM);
    if (!arg_int_array(env, 1, &k, 0, 0, 2147483647LL, nkeep, USAGE, "keepFds", keep, &nkeep)) {
      free(keep);
      return NULL;
    }
  }
  char **args = string_array(env, a);
  if (!args) {
    free(keep);
    return type_error(env, USAGE, "argv must hold strings without NUL characters");
  }
  int argv_exact = 0;
  if (exact) {
    char **raw = exact_argv(args, nargv);
    if (raw) {
      free_array(args);
      args = raw;
      argv_exact = 1;
    }
  }
  char **envp = NULL;
  int env_exact = 0;
  if (own_env) {
    envp = string_array(env, e);
    if (!envp) {
      free(keep);
      free_array(args);
      return type_error(env, USAGE, "env must hold strings without NUL characters");
    }
  } else {
    envp = exact_env();
    env_exact = envp != NULL;
    own_env = envp != NULL; /* ours to free */
    if (!envp) envp = environ; /* no /proc: as Node left it */
  }
  struct spawn_request req = {args, envp, new_group, take_tty, listen_pid, keep, nkeep};
  struct spawn_outcome res;
  int err = spawn_program(&req, &res);
  free_array(args);
  if (own_env) free_array(envp);
  free(keep);
  if (err) return throw_errno(env, res.failed_call, err);
  napi_value r;
  napi_create_object(env, &r);
  set_bool(env, r, "ok", res.failed_step == STEP_NONE);
  set_num(env, r, "pid", res.pid);
  if (res.failed_step != STEP_NONE) {
    set_str(env, r, "step", spawn_step_name(res.failed_step));
    set_num(env, r, "errno", res.failed_errno);
    set_str(env, r, "message", strerror(res.failed_errno));
  }
  set_bool(env, r, "argvExact", argv_exact);
  set_bool(env, r, "envExact", env_exact);
  return r;
}
