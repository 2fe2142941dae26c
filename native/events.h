/* events.h: the JS side of the handlers' ring (events.c). */
#ifndef TINI_EVENTS_H
#define TINI_EVENTS_H
#include <node_api.h>

const char *event_name(int type);
napi_value js_drain(napi_env env, napi_callback_info info);
napi_value js_reap_now(napi_env env, napi_callback_info info);
napi_value js_stats(napi_env env, napi_callback_info info);
napi_value js_set_reap_lines(napi_env env, napi_callback_info info);
napi_value js_set_reap_events(napi_env env, napi_callback_info info);
int drain_reap_lines(void);
int events_pending(void);

#endif
