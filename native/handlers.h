/*
 * handlers.h: the signal handlers and everything they own (handlers.c).
 *
 * handlers.c is the one owner of the addon's signals and of the state its
 * handlers share: which handler each signal has, the policy they apply, the
 * program they forward to, its exit slot, the counters. That state is static
 * there; everything else goes through the functions below. Three pieces live
 * beside it, each static in its own file and reached through functions: the
 * event ring (ring.c), the wake-up of JS (wake.c), and the hold on reaping
 * (reap_gate.c).
 */
#ifndef TINI_HANDLERS_H
#define TINI_HANDLERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "constants.h"

/* ---- the lifecycle: JS thread only (handlers_js.c, spawn.c) ---- */

/* Take the signals: on_signal for forward, the reaper for SIGCHLD, SIG_IGN
 * for ignore; own_drop: the forwarded signals to drop when the kernel raised
 * them on us for our own act. Unblocks what it installed on this thread and
 * reaps the orphans that died before. 0, or the errno of the call named in
 * *failed. Which signal goes in which list is TypeScript's choice. */
int handlers_install(const int *forward, size_t nf, const int *ignore, size_t ni, const int *own_drop,
                     size_t no, const char **failed);
/* The forwarding table (signal to send per signal received; 0 = drop), -g,
 * and whether reaped orphans' name and age are read. */
void handlers_set_policy(const int32_t map[MAX_SIG], int to_group, int details);
/* on 0: reaped orphans are only counted, no event, no wake-up; name_only:
 * of the details, only the name is read. */
void handlers_set_reap_events(int on, int name_only);
/* Follow the program's stops (Ctrl-Z, fg, bg). 0, or the errno of sigaction. */
int handlers_set_job_control(int on);
/* 1 when sig's handler is still ours, 0 when not (Node replaced it), or
 * -errno. */
int handler_is_ours(int sig);
/* Every disposition back to what it was before handlers_install, then the
 * signals held for a program that never came are raised. */
void handlers_release(void);

/* The program, from spawn.c: program_spawning and program_started with
 * reaping held (reap_gate.h) around the clone, program_deliver_held after the
 * hold ends (the signals that came while no program ran). */
void program_spawning(void);
void program_started(pid_t pid);
void program_deliver_held(void);

/* ---- what JS reads: JS thread only (events.c) ---- */

/* The program's exit since the last call, exactly once: 1 with its pid and
 * wait status, or 0. */
int program_exit_take(pid_t *pid, int *status);
/* 1 while that exit waits for program_exit_take. */
int program_exit_waiting(void);
struct handler_counts {
  uint64_t reaped, orphans, forwarded;
};
void handler_counts(struct handler_counts *out);

/* ---- the reaping the gate guards: reap_gate.c only, async-signal-safe ---- */

/* Reap every child that is dead now; what JS must hear of is or-ed into
 * *wake. The count reaped. */
int reap_all(int *wake);
/* Wake JS as the reaps asked (reap_all's *wake). */
void wake_for_reaps(int wake);
/* With job control on: a stop of the program stops our group too. */
void follow_program_stop(void);

#endif
