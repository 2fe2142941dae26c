/*
 * napi_util.h: argument checks and value helpers shared by the N-API glue
 * (the files exports.h lists). JS thread only.
 *
 * Argument checks: a bad argument must never become a valid one.
 * napi_get_value_int32 leaves 0 for undefined, and kill(0, sig) signals the
 * init's own process group. Every exported call checks its arguments and
 * throws a TypeError naming the call and what it wanted.
 */
#ifndef TINI_NAPI_UTIL_H
#define TINI_NAPI_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <node_api.h>

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "tini-ts native: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

/* The arguments of a call: at most n, fewer if the caller gave fewer. */
#define ARGS(n)                                               \
  size_t argc = (n);                                          \
  napi_value argv[(n) > 0 ? (n) : 1];                         \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL))

napi_value num(napi_env env, double v);
void set_num(napi_env env, napi_value obj, const char *k, double v);
void set_bool(napi_env env, napi_value obj, const char *k, bool v);
void set_str(napi_env env, napi_value obj, const char *k, const char *s);
napi_value throw_errno(napi_env env, const char *what, int err);
napi_value type_error(napi_env env, const char *usage, const char *what);
/* A call that takes no arguments was given some. */
int no_args(napi_env env, napi_callback_info info, const char *usage);

/* Each returns 1, or 0 after throwing a TypeError naming usage and name. An
 * argument index i >= argc reads as undefined. */
int arg_int(napi_env env, size_t argc, napi_value *argv, size_t i, int64_t lo, int64_t hi, const char *usage,
            const char *name, int64_t *out);
int arg_bool(napi_env env, size_t argc, napi_value *argv, size_t i, const char *usage, const char *name, bool *out);
int arg_array(napi_env env, size_t argc, napi_value *argv, size_t i, const char *usage, const char *name,
              uint32_t *len);
/* An array of integers in [lo, hi], at most max of them, into out. */
int arg_int_array(napi_env env, size_t argc, napi_value *argv, size_t i, int64_t lo, int64_t hi, uint32_t max,
                  const char *usage, const char *name, int *out, uint32_t *len);
/* Property k of an object, or undefined when absent. */
napi_value prop(napi_env env, napi_value obj, const char *k);
int is_undefined_or_null(napi_env env, napi_value v);

/* A JS array of strings as a NULL-terminated C array of copies; NULL when an
 * element is not a string or holds a NUL. */
char **string_array(napi_env env, napi_value arr);
void free_array(char **a);

#endif
