/* pidfd.h: process descriptors and the checked kill of a child (pidfd.c). */
#ifndef TINI_PIDFD_H
#define TINI_PIDFD_H
#include <node_api.h>

napi_value js_pidfd_open(napi_env env, napi_callback_info info);
napi_value js_pidfd_signal(napi_env env, napi_callback_info info);
napi_value js_pidfd_close(napi_env env, napi_callback_info info);
napi_value js_kill_child(napi_env env, napi_callback_info info);
napi_value js_kill_group(napi_env env, napi_callback_info info);

#endif
