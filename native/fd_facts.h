/* fd_facts.h: see fd_facts.c. */
#ifndef TINI_FD_FACTS_H
#define TINI_FD_FACTS_H
#include <node_api.h>

napi_value js_fd_facts(napi_env env, napi_callback_info info);

#endif
