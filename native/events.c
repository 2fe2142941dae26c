/*
 * events.c: the JS side of the handlers' ring (N-API glue, JS thread only):
 * drain() turns what the handlers recorded into typed event objects, and the
 * program's lossless exit slot into one programExited event.
 */
#include "events.h"

#include <string.h>

#include "constants.h"
#include "exports.h"
#include "handlers.h"
#include "log_writer.h"
#include "napi_util.h"
#include "reap_gate.h"
#include "ring.h"
#include "signal_safe.h"

static const char *const EVENT_NAMES[EVENT_COUNT] = EVENT_NAMES_INIT;

const char *event_name(int type) {
  return type > 0 && type < EVENT_COUNT ? EVENT_NAMES[type] : "";
}

/* ---- reap lines formatted here ----------------------------------------- */

/* With -w in text format each reaped orphan is one fixed line: "<prefix><pid>"
 * then " (<comm>)" when the name is known. Formatting it in JS cost an object,
 * a string and a copy per orphan; here it goes straight into the log writer's
 * queue. JS sets the prefix (its own label, pid and words, so the line is the
 * one JS would write) and clears it whenever it must write lines itself, e.g.
 * while a note about dropped lines is owed. Only names JS would print as they
 * are take this path: printable ASCII without a backslash (JS escapes the
 * rest). */
static char reap_prefix[160];
static size_t reap_prefix_len; /* 0: JS formats every reap line */

static int plain_comm(const char *comm) {
  for (size_t i = 0; i < sizeof ((event_t *)0)->comm && comm[i]; i++)
    if (comm[i] < 0x20 || comm[i] > 0x7e || comm[i] == '\\') return 0;
  return 1;
}

/* Writes the reap lines at the head of the ring into the log queue and
 * consumes their events, up to the first event that needs JS (any other
 * kind, an unusual name) or a line that does not fit (JS then counts the
 * drop and owes the note). The count consumed. */
int drain_reap_lines(void) {
  if (!reap_prefix_len) return 0;
  event_t ev;
  if (!ring_peek(&ev) || ev.type != EV_REAPED || !log_batch_begin()) return 0;
  int n = 0;
  char line[sizeof reap_prefix + 48];
  memcpy(line, reap_prefix, reap_prefix_len);
  do {
    if (ev.type != EV_REAPED || !plain_comm(ev.comm)) break;
    char *p = line + reap_prefix_len;
    fmt_uint(p, (unsigned long)ev.pid);
    p += strlen(p);
    size_t cl = strnlen(ev.comm, sizeof ev.comm);
    if (cl) {
      *p++ = ' ';
      *p++ = '(';
      memcpy(p, ev.comm, cl);
      p += cl;
      *p++ = ')';
    }
    *p++ = '\n';
    if (!log_batch_put(line, (size_t)(p - line))) break;
    ring_skip();
    n++;
  } while (ring_peek(&ev));
  log_batch_end(n > 0);
  return n;
}

/* Is there anything for JS: an event left, or the program's exit? */
int events_pending(void) {
  event_t ev;
  return ring_peek(&ev) || program_exit_waiting();
}

/* setReapLines(prefix | null): see reap_prefix above. */
napi_value js_set_reap_lines(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t == napi_null) {
    reap_prefix_len = 0;
    return NULL;
  }
  size_t len = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, argv[0], reap_prefix, sizeof reap_prefix, &len) != napi_ok ||
      len == 0 || len >= sizeof reap_prefix - 1)
    return type_error(env, "setReapLines(prefix: string | null)", "prefix must be a string of 1..158 bytes, or null");
  reap_prefix_len = len;
  return NULL;
}

static napi_value event_object(napi_env env, const event_t *ev) {
  napi_value o;
  napi_create_object(env, &o);
  set_str(env, o, "type", event_name(ev->type));
  switch (ev->type) {
    case EV_REAPED: {
      set_num(env, o, "pid", ev->pid);
      set_num(env, o, "status", ev->status);
      set_num(env, o, "start", (double)ev->start);
      napi_value s;
      napi_create_string_utf8(env, ev->comm, strnlen(ev->comm, sizeof ev->comm), &s);
      napi_set_named_property(env, o, "comm", s);
      break;
    }
    case EV_SIGNAL:
      set_num(env, o, "signal", ev->status);
      set_num(env, o, "sentAs", ev->sent_as);
      set_num(env, o, "target", ev->pid);
      set_num(env, o, "err", ev->err);
      set_num(env, o, "sender", ev->sender);
      break;
    case EV_STOPPED:
      set_num(env, o, "pid", ev->pid);
      set_num(env, o, "signal", ev->status);
      break;
  }
  return o;
}

/* drain(): every event recorded since the last call, oldest first; the
 * program's exit, when it happened since, last and exactly once. */
napi_value js_drain(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "drain()")) return NULL;
  napi_value out;
  CHECK(napi_create_array(env, &out));
  drain_reap_lines(); /* those at the head, written as JS would */
  event_t ev;
  uint32_t i = 0;
  while (ring_pop(&ev)) napi_set_element(env, out, i++, event_object(env, &ev));
  pid_t pid;
  int status;
  if (program_exit_take(&pid, &status)) {
    napi_value o;
    napi_create_object(env, &o);
    set_str(env, o, "type", event_name(EV_PROGRAM_EXITED));
    set_num(env, o, "pid", pid);
    set_num(env, o, "status", status);
    napi_set_element(env, out, i++, o);
  }
  return out;
}

/* reapNow(): reap from JS (after the program exited: "reap what is already
 * dead"); the count reaped by this call. */
napi_value js_reap_now(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "reapNow()")) return NULL;
  /* Through the gate (it blocks our signals meanwhile): never while a kill
   * of a child by pid is under way. -1: a holder reaps instead. */
  int n = reap_gated();
  return num(env, n < 0 ? 0 : n);
}

/* stats(): counters for the summary line. */
napi_value js_stats(napi_env env, napi_callback_info info) {
  if (!no_args(env, info, "stats()")) return NULL;
  napi_value r;
  napi_create_object(env, &r);
  struct handler_counts c;
  handler_counts(&c);
  set_num(env, r, "reaped", (double)c.reaped);
  set_num(env, r, "orphans", (double)c.orphans);
  set_num(env, r, "forwarded", (double)c.forwarded);
  set_num(env, r, "dropped", (double)ring_dropped());
  return r;
}
