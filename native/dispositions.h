/* dispositions.h: see dispositions.c. */
#ifndef TINI_DISPOSITIONS_H
#define TINI_DISPOSITIONS_H
#include <node_api.h>

napi_value js_set_policy(napi_env env, napi_callback_info info);
napi_value js_install(napi_env env, napi_callback_info info);
napi_value js_release_signals(napi_env env, napi_callback_info info);
napi_value js_set_job_control(napi_env env, napi_callback_info info);
napi_value js_handler_is_ours(napi_env env, napi_callback_info info);

#endif
