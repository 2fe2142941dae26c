/* log_writer.h: see log_writer.c. */
#ifndef TINI_LOG_WRITER_H
#define TINI_LOG_WRITER_H
#include <node_api.h>

napi_value js_log_start(napi_env env, napi_callback_info info);
napi_value js_log_write(napi_env env, napi_callback_info info);
napi_value js_log_flush(napi_env env, napi_callback_info info);

#include <stddef.h>
int log_batch_begin(void);
int log_batch_put(const char *s, size_t len);
void log_batch_end(int queued);

#endif
