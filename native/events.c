/*
 * events.c: the JS side of the handlers' ring (N-API glue, JS thread only):
 * drain() turns what the handlers recorded into typed event objects, and the
 * program's lossless exit slot into one programExited event.
 */
#include "events.h"

#include <string.h>

#include "handlers.h"
#include "napi_util.h"
#include "reap_gate.h"

static size_t ring_tail; /* the one consumer: the JS thread */
static const char *const EVENT_NAMES[EVENT_COUNT] = EVENT_NAMES_INIT;

const char *event_name(int type) {
  return type > 0 && type < EVENT_COUNT ? EVENT_NAMES[type] : "";
}

void ring_init(void) {
  static int ready;
  if (ready) return; /* the handlers may already have pushed events to keep */
  for (size_t i = 0; i < RING_SIZE; i++) ring[i].seq = i;
  ready = 1;
}

static int ring_pop(event_t *out) {
  size_t pos = ring_tail;
  slot_t *s = &ring[pos & (RING_SIZE - 1)];
  size_t seq = LOAD(&s->seq);
  if ((intptr_t)seq - (intptr_t)(pos + 1) < 0) return 0; /* empty (or being written) */
  *out = s->ev;
  ring_tail = pos + 1;
  STORE(&s->seq, pos + RING_SIZE);
  return 1;
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
  event_t ev;
  uint32_t i = 0;
  while (ring_pop(&ev)) napi_set_element(env, out, i++, event_object(env, &ev));
  if (XCHG(&program_exit_pending, 0)) {
    napi_value o;
    napi_create_object(env, &o);
    set_str(env, o, "type", event_name(EV_PROGRAM_EXITED));
    set_num(env, o, "pid", LOAD(&child_pid));
    set_num(env, o, "status", LOAD(&program_status));
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
  set_num(env, r, "reaped", (double)LOAD(&reaped_total));
  set_num(env, r, "forwarded", (double)LOAD(&forwarded_total));
  set_num(env, r, "dropped", (double)LOAD(&ring_dropped));
  return r;
}
