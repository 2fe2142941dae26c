/*
 * reap_gate.h: the one handshake between the SIGCHLD handler and whoever
 * must keep our children unreaped for a moment (reap_gate.c).
 */
#ifndef TINI_REAP_GATE_H
#define TINI_REAP_GATE_H

#include <sys/types.h>

/* Keep every child of ours unreaped until the matching reap_release: the
 * SIGCHLD handler defers its reaping meanwhile. Holds nest (a counter), may
 * be taken from a handler, and must be short. Async-signal-safe. */
void reap_hold(void);
/* End a hold; the last one out reaps what the handler deferred.
 * Async-signal-safe: atomics, reap_all, wake_js, follow_program_stop. */
void reap_release(void);
/* For the SIGCHLD handler: 1 when it may reap now, 0 when a hold is in
 * force (the holder reaps at release). Async-signal-safe. */
int reap_allowed(void);

/* Signal pid (or its process group, -pid) only while pid names an unreaped
 * child of ours, checked with reaping held: 0, or the errno (ESRCH once it
 * is reaped or was never our child). Async-signal-safe: waitid, kill. */
int kill_own_child(pid_t pid, int sig, int group);

/* kill(-pgid) only while some unreaped child of ours is in that group
 * (with reaping held): 0, or ESRCH. Async-signal-safe: waitid, kill. */
int kill_own_group(pid_t pgid, int sig);

#endif
