/*
 * exports.h: every function the addon exports to JS (binding.c's table), by
 * the file that defines it. N-API glue, JS thread only: each checks its
 * arguments and throws a TypeError naming the call (napi_util.h). Their
 * typed side is src/runtime/native.ts.
 */
#ifndef TINI_EXPORTS_H
#define TINI_EXPORTS_H
#include <node_api.h>

#define JS_FN(name) napi_value name(napi_env env, napi_callback_info info)

/* handlers_js.c: the signal handlers' lifecycle and policy (handlers.c) */
JS_FN(js_install);
JS_FN(js_set_policy);
JS_FN(js_set_reap_events);
JS_FN(js_set_job_control);
JS_FN(js_handler_is_ours);
JS_FN(js_release_signals);

/* events.c: what the handlers recorded, as JS events and counters */
JS_FN(js_drain);
JS_FN(js_reap_now);
JS_FN(js_stats);
JS_FN(js_set_reap_lines);

/* wake.c: the wake-up of the loop */
JS_FN(js_on_wake);
JS_FN(js_stop_wake);

/* spawn_js.c: starting the program (spawn.c) */
JS_FN(js_spawn);

/* pidfd.c: process descriptors, and kills of a child checked with reaping held */
JS_FN(js_pidfd_open);
JS_FN(js_pidfd_signal);
JS_FN(js_pidfd_close);
JS_FN(js_kill_child);
JS_FN(js_kill_group);

/* log_writer.c: the stderr writer thread */
JS_FN(js_log_start);
JS_FN(js_log_write);
JS_FN(js_log_flush);

/* fd_facts.c: facts about the descriptors open at start-up */
JS_FN(js_fd_facts);

#undef JS_FN
#endif
