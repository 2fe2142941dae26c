/*
 * ring.c: the queue from the signal handlers to JS, and the only code that
 * touches its state: Vyukov's bounded MPMC queue, used with one consumer.
 * Producers are signal handlers on any of Node's threads, possibly several at
 * once, so a push is lock-free (atomics and a struct copy, async-signal-safe);
 * the consumer is the JS thread alone (events.c drains it).
 */
#include "ring.h"

#include <stddef.h>

#include "signal_safe.h"

/* A slot's sequence number, stored less the slot's index: Vyukov's queue
 * starts slot i at seq i, which is then a stored 0, so the ring needs no
 * initialising pass (which touched all of its pages, half a MiB, at every
 * start: page faults and resident memory a run with no event never needs). */
typedef struct {
  size_t seq; /* atomic; read and written through SLOT_SEQ / SET_SLOT_SEQ */
  event_t ev;
} slot_t;
#define SLOT_SEQ(s, idx) (LOAD(&(s)->seq) + (idx))
#define SET_SLOT_SEQ(s, idx, v) STORE(&(s)->seq, (v) - (idx))

#define RING_SIZE 8192 /* power of two */
static slot_t ring[RING_SIZE];
static size_t ring_head;     /* producers: next position to claim */
static size_t ring_tail;     /* the one consumer: the JS thread */
static uint64_t dropped;     /* events lost because the ring was full */

/* Async-signal-safe: lock-free atomics and a struct copy only. */
void ring_push(const event_t *ev) {
  size_t pos = __atomic_load_n(&ring_head, __ATOMIC_RELAXED);
  for (;;) {
    slot_t *s = &ring[pos & (RING_SIZE - 1)];
    size_t seq = SLOT_SEQ(s, pos & (RING_SIZE - 1));
    intptr_t dif = (intptr_t)seq - (intptr_t)pos;
    if (dif == 0) {
      if (__atomic_compare_exchange_n(&ring_head, &pos, pos + 1, 1, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED)) {
        s->ev = *ev;
        SET_SLOT_SEQ(s, pos & (RING_SIZE - 1), pos + 1);
        return;
      }
    } else if (dif < 0) {
      ADD(&dropped, 1); /* full: the event is lost, the work was done */
      return;
    } else {
      pos = __atomic_load_n(&ring_head, __ATOMIC_RELAXED);
    }
  }
}

int ring_peek(event_t *out) {
  slot_t *s = &ring[ring_tail & (RING_SIZE - 1)];
  size_t seq = SLOT_SEQ(s, ring_tail & (RING_SIZE - 1));
  if ((intptr_t)seq - (intptr_t)(ring_tail + 1) < 0) return 0; /* empty (or being written) */
  *out = s->ev;
  return 1;
}

void ring_skip(void) {
  slot_t *s = &ring[ring_tail & (RING_SIZE - 1)];
  SET_SLOT_SEQ(s, ring_tail & (RING_SIZE - 1), ring_tail + RING_SIZE);
  ring_tail++;
}

int ring_pop(event_t *out) {
  if (!ring_peek(out)) return 0;
  ring_skip();
  return 1;
}

uint64_t ring_dropped(void) {
  return LOAD(&dropped);
}
