/* napi_util.c: see napi_util.h. N-API glue, JS thread only. */
#define _GNU_SOURCE
#include "napi_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

void set_num(napi_env env, napi_value obj, const char *k, double v) {
  napi_set_named_property(env, obj, k, num(env, v));
}

void set_bool(napi_env env, napi_value obj, const char *k, bool v) {
  napi_value b;
  napi_get_boolean(env, v, &b);
  napi_set_named_property(env, obj, k, b);
}

void set_str(napi_env env, napi_value obj, const char *k, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, k, v);
}

napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[200];
  snprintf(msg, sizeof msg, "%.100s: %.60s", what, strerror(err));
  napi_value m, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  set_num(env, e, "errno", err);
  napi_throw(env, e);
  return NULL;
}

napi_value type_error(napi_env env, const char *usage, const char *what) {
  char msg[320];
  snprintf(msg, sizeof msg, "%s: %s", usage, what);
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

int no_args(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 0;
  if (napi_get_cb_info(env, info, &argc, NULL, NULL, NULL) != napi_ok) return 0;
  if (argc != 0) {
    type_error(env, usage, "takes no arguments");
    return 0;
  }
  return 1;
}

static napi_valuetype type_at(napi_env env, size_t argc, napi_value *argv, size_t i) {
  napi_valuetype t = napi_undefined;
  if (i < argc) napi_typeof(env, argv[i], &t);
  return t;
}

int arg_int(napi_env env, size_t argc, napi_value *argv, size_t i, int64_t lo, int64_t hi, const char *usage,
            const char *name, int64_t *out) {
  double d = 0;
  if (type_at(env, argc, argv, i) != napi_number || napi_get_value_double(env, argv[i], &d) != napi_ok || d != d ||
      d < (double)lo || d > (double)hi || d != (double)(int64_t)d) {
    char what[160];
    snprintf(what, sizeof what, "%s must be an integer from %lld to %lld", name, (long long)lo, (long long)hi);
    type_error(env, usage, what);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

/* Throws "usage: NAME must be KIND"; returns 0 for the caller to return. */
static int must_be(napi_env env, const char *usage, const char *name, const char *kind) {
  char what[120];
  snprintf(what, sizeof what, "%s must be %s", name, kind);
  type_error(env, usage, what);
  return 0;
}

int arg_bool(napi_env env, size_t argc, napi_value *argv, size_t i, const char *usage, const char *name, bool *out) {
  if (type_at(env, argc, argv, i) != napi_boolean) return must_be(env, usage, name, "a boolean");
  napi_get_value_bool(env, argv[i], out);
  return 1;
}

int arg_array(napi_env env, size_t argc, napi_value *argv, size_t i, const char *usage, const char *name,
              uint32_t *len) {
  bool is = false;
  if (i < argc) napi_is_array(env, argv[i], &is);
  if (!is) return must_be(env, usage, name, "an array");
  napi_get_array_length(env, argv[i], len);
  return 1;
}

int arg_int_array(napi_env env, size_t argc, napi_value *argv, size_t i, int64_t lo, int64_t hi, uint32_t max,
                  const char *usage, const char *name, int *out, uint32_t *len) {
  if (!arg_array(env, argc, argv, i, usage, name, len)) return 0;
  char what[120];
  if (*len > max) {
    snprintf(what, sizeof what, "%s has more than %u entries", name, max);
    type_error(env, usage, what);
    return 0;
  }
  snprintf(what, sizeof what, "every entry of %s", name);
  for (uint32_t k = 0; k < *len; k++) {
    napi_value el;
    int64_t v;
    napi_get_element(env, argv[i], k, &el);
    if (!arg_int(env, 1, &el, 0, lo, hi, usage, what, &v)) return 0;
    out[k] = (int)v;
  }
  return 1;
}

napi_value prop(napi_env env, napi_value obj, const char *k) {
  napi_value v = NULL;
  if (napi_get_named_property(env, obj, k, &v) != napi_ok || !v) napi_get_undefined(env, &v);
  return v;
}

int is_undefined_or_null(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  return t == napi_undefined || t == napi_null;
}

char **string_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    size_t len = 0;
    napi_get_element(env, arr, i, &el);
    if (napi_get_value_string_utf8(env, el, NULL, 0, &len) != napi_ok) goto fail;
    out[i] = malloc(len + 1);
    if (!out[i]) goto fail;
    napi_get_value_string_utf8(env, el, out[i], len + 1, &len);
    if (strlen(out[i]) != len) goto fail; /* a NUL inside would cut it short */
  }
  return out;
fail:
  free_array(out);
  return NULL;
}

void free_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}
