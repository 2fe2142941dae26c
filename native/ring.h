/*
 * ring.h: the events the signal handlers record for JS, and the lock-free
 * queue that carries them (ring.c): any number of producers (handlers on any
 * thread), one consumer (the JS thread, events.c).
 */
#ifndef TINI_RING_H
#define TINI_RING_H

#include <stdint.h>

typedef struct {
  int32_t type;    /* enum event_type */
  int32_t pid;     /* EV_REAPED: reaped pid; EV_SIGNAL: target (neg = group), 0 if none; EV_STOPPED: the program */
  int32_t status;  /* EV_REAPED: wait status; EV_SIGNAL: signal received; EV_STOPPED: stop signal */
  int32_t sent_as; /* EV_SIGNAL: signal sent (0 = dropped by policy) */
  int32_t err;     /* EV_SIGNAL: 0 sent, SIGNAL_HELD, or errno of kill(2) */
  int32_t sender;  /* EV_SIGNAL: si_pid of the sender */
  uint64_t start;  /* EV_REAPED with details: starttime in clock ticks */
  char comm[16];   /* EV_REAPED with details: command name */
} event_t;

/* Producers, from a signal handler on any thread. Async-signal-safe. When
 * the ring is full the event is lost and counted (ring_dropped). */
void ring_push(const event_t *ev);

/* The one consumer, the JS thread. ring_peek: the oldest event, left in the
 * ring (0 if none); ring_skip frees the slot it read; ring_pop is both. */
int ring_peek(event_t *out);
void ring_skip(void);
int ring_pop(event_t *out);
/* Events lost because the ring was full. */
uint64_t ring_dropped(void);

#endif
