/*
 * reap_gate.h: the one handshake between the SIGCHLD handler and whoever
 * must keep our children unreaped for a moment (reap_gate.c).
 */
#ifndef TINI_REAP_GATE_H
#define TINI_REAP_GATE_H

#include <sys/types.h>

/* Reap every dead child (reap_all) unless a hold is in force; then the last
 * holder reaps at release. Wakes JS as the reaps ask. The count reaped, or
 * -1 when left to a holder. Every reaper goes through here.
 * Async-signal-safe: sigprocmask, atomics, reap_all, wake_for_reaps. */
int reap_gated(void);
/* reap_gated for the SIGCHLD handler: its sa_mask (dispositions.c) blocks
 * every signal already, the state reap_gated makes with two sigprocmask
 * calls, which are spared here (two of the six system calls per SIGCHLD in
 * an orphan storm). Async-signal-safe: atomics, reap_all, wake_for_reaps. */
int reap_gated_in_handler(void);
/* For reap_all, before each waitpid: 1 when a hold has come in meanwhile
 * (the reaper stops and the holder reaps the rest at release), so a holder
 * waits for one waitpid at most, not for a whole storm. Async-signal-safe. */
int reap_gate_yield(void);
/* Keep every child of ours unreaped until the matching reap_release.
 * Holds nest (a counter), may be taken from a handler, and must be short.
 * Async-signal-safe: atomics, sched_yield. */
void reap_hold(void);
/* End a hold; the last one out reaps what was deferred.
 * Async-signal-safe: atomics, reap_gated, follow_program_stop. */
void reap_release(void);

/* Signal pid (or its process group, -pid) only while pid names an unreaped
 * child of ours, checked with reaping held: 0, or the errno (ESRCH once it
 * is reaped or was never our child). Async-signal-safe: waitid, kill. */
int kill_own_child(pid_t pid, int sig, int group);

/* kill(-pgid) only while some unreaped child of ours is in that group
 * (with reaping held): 0, or ESRCH. Async-signal-safe: waitid, kill. */
int kill_own_group(pid_t pgid, int sig);

#endif
