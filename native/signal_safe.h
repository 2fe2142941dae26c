/*
 * signal_safe.h: the primitives that state shared with signal handlers is
 * read and written through, and one formatter, all async-signal-safe
 * (signal-safety(7)): lock-free atomics and arithmetic on caller memory.
 *
 * A handler interrupts Node anywhere, on any of its threads, so what it
 * shares with the rest of the addon is never locked: each access is one of
 * these atomics. Acquire on loads and release on stores order a value with
 * what was written before it (a status before its "pending" flag). The one
 * place that needs more, a store followed by a load of another variable
 * (Dekker's pattern), says so and uses seq_cst (reap_gate.c, handlers.c).
 */
#ifndef TINI_SIGNAL_SAFE_H
#define TINI_SIGNAL_SAFE_H

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)

/* v in decimal, NUL-ended, into dst (room for 21 bytes). Async-signal-safe:
 * arithmetic on caller memory only (snprintf is not on the list). */
static inline void fmt_uint(char *dst, unsigned long v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *dst++ = tmp[--n];
  *dst = 0;
}

#endif
